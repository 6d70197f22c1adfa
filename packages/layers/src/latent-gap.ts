import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** Options of {@link LatentGap}. */
export interface LatentGapOptions {
  /** How many leading coordinates of the latent code are split (default 1: two modes; `d` gives 2^d). */
  dims?: number;
  /** Distance of each mode's inner edge from 0 (default 2): no code lands in `(−gap, gap)`. */
  gap?: number;
  /** Spread of each mode: `|z|` is multiplied by it (default 0.5). */
  scale?: number;
}

/**
 * A latent prior with separate modes: the first `dims` coordinates of a standard normal code `z` become
 * `sign(z)·(gap + scale·|z|)`, the rest pass unchanged. Each split coordinate then has two half-normal modes
 * with nothing between `−gap` and `gap`, so the codes form 2^dims separate clusters. Has no parameters.
 *
 * Why: a generator is a continuous map, so a connected prior gives a connected set of images, and between two
 * separate modes of the data (a 7 and an 8) it must draw blends for part of the latent space (Khayatkhoei et
 * al. 2018, "Disconnected Manifold Learning for Generative Adversarial Networks"). With a gap in the prior the
 * generator can put that transition where no code lands.
 */
export class LatentGap extends Module {
  readonly dims: number;
  readonly gap: number;
  readonly scale: number;

  constructor(options: LatentGapOptions = {}) {
    super();
    const { dims = 1, gap = 2, scale = 0.5 } = options;
    if (!Number.isInteger(dims) || dims < 1) throw new Error(`LatentGap option 'dims' must be a positive integer, got ${dims}`);
    if (!(Number.isFinite(gap) && gap >= 0)) throw new Error(`LatentGap option 'gap' must be a finite number ≥ 0, got ${gap}`);
    if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`LatentGap option 'scale' must be a finite number > 0, got ${scale}`);
    this.dims = dims;
    this.gap = gap;
    this.scale = scale;
  }

  /** Maps codes whose last axis holds the coordinates (`[B, zDim]` or `[B, 1, 1, zDim]`), keeping the shape. */
  forward<T extends tf.Tensor>(z: T): T {
    const zDim = z.shape[z.rank - 1] ?? 0;
    if (z.rank < 1 || zDim < this.dims) {
      throw new Error(`LatentGap with dims ${this.dims} needs codes with at least ${this.dims} coordinates, got [${z.shape}]`);
    }
    return tf.tidy(() => {
      const begin = z.shape.map(() => 0);
      const split = z.shape.map((n, i) => (i === z.rank - 1 ? this.dims : n));
      const head = tf.slice(z, begin, split);
      const moved = tf.mul(tf.sign(head), tf.add(tf.mul(tf.abs(head), this.scale), this.gap));
      if (this.dims === zDim) return moved as T;
      const tail = tf.slice(z, [...begin.slice(0, -1), this.dims], z.shape.map((n, i) => (i === z.rank - 1 ? zDim - this.dims : n)));
      return tf.concat([moved, tail], z.rank - 1) as T;
    });
  }
}
