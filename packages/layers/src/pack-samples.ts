import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** Options of {@link PackSamples}. */
export interface PackSamplesOptions {
  /** Samples per pack, an integer >= 2 (PacGAN's m; the paper finds 2 to 4 enough). */
  pack: number;
}

/**
 * Packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks"): the
 * discriminator scores `pack` samples at once, stacked along the channels, so a batch of near-copies looks
 * unlike a pack of real images and the generator is pushed to draw every kind of image, not only the easiest.
 * Consecutive samples form a pack: `[B, H, W, C]` → `[ceil(B / pack), H, W, pack·C]`, sample `n` in pack
 * `floor(n / pack)` at channels `(n mod pack)·C …`, the order of PacGAN's `x.view(-1, pack·C, H, W)` in NCHW. When
 * `pack` does not divide the batch (an epoch's last, smaller batch), the last pack is completed with the batch's
 * first samples. {@link PackSamples.unpack} gives each sample its pack's score. Has no parameters.
 */
export class PackSamples extends Module {
  /** Samples per pack. */
  readonly pack: number;

  constructor(options: PackSamplesOptions) {
    super();
    const pack = options?.pack;
    if (!Number.isInteger(pack) || pack < 2) {
      throw new Error(`PackSamples option 'pack' must be an integer >= 2, got ${JSON.stringify(pack)}`);
    }
    this.pack = pack;
  }

  /** `[B, H, W, C]` → `[ceil(B / pack), H, W, pack·C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4) throw new Error(`PackSamples expects input [B, H, W, C], got [${x.shape}]`);
    const [b, h, w, c] = x.shape;
    const p = this.pack;
    const packs = Math.ceil(b / p);
    return tf.tidy(() => {
      // Slices and concatenation rather than gather: gather's gradient needs a kernel the wasm backend lacks.
      let filled: tf.Tensor4D = x;
      while (filled.shape[0] < packs * p) {
        filled = tf.concat([filled, tf.slice(x, 0, Math.min(b, packs * p - filled.shape[0]))]);
      }
      const grouped = tf.transpose(tf.reshape(filled, [packs, p, h, w, c]), [0, 2, 3, 1, 4]);
      return tf.reshape(grouped, [packs, h, w, p * c]) as tf.Tensor4D;
    });
  }

  /**
   * Per-pack values `[P, ...]` → per-sample values `[batch, ...]`: each of a pack's samples gets the pack's value
   * (the completing copies of an incomplete last pack are dropped). The mean over the batch of a complete batch
   * equals the mean over the packs.
   */
  unpack<T extends tf.Tensor>(values: T, batch: number): T {
    const packs = Math.ceil(batch / this.pack);
    if (values.shape[0] !== packs) {
      throw new Error(`PackSamples.unpack: expected ${packs} packs for a batch of ${batch}, got ${values.shape[0]}`);
    }
    return tf.tidy(() => {
      const rest = values.shape.slice(1);
      const repeated = tf.tile(tf.expandDims(values, 1), [1, this.pack, ...rest.map(() => 1)]);
      const flat = tf.reshape(repeated, [packs * this.pack, ...rest]);
      return (flat.shape[0] === batch ? flat : tf.slice(flat, 0, batch)) as T;
    });
  }
}
