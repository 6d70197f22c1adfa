import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** Options of {@link MinibatchStdDev}. */
export interface MinibatchStdDevOptions {
  /** Samples per group whose spread is measured (default 4, as StyleGAN2). */
  groupSize?: number;
}

/**
 * Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs"; StyleGAN2's
 * `MinibatchStdLayer` with one channel): appends one channel holding how much the samples of a group differ,
 * so the discriminator can tell a batch of near-copies from real variety and the generator is pushed to spread
 * out. The batch is split into groups by position (sample `n` is in group `n mod (B / G)`); for each group the
 * standard deviation over its `G` samples of every feature, `sqrt(var + 1e-8)`, is averaged over all positions
 * and channels and written to the new channel of each of the group's samples. `G` is `groupSize`, or the
 * largest divisor of the batch below it when it does not divide the batch. Has no parameters.
 */
export class MinibatchStdDev extends Module {
  /** Samples per group (at most; see the class description). */
  readonly groupSize: number;

  constructor(options: MinibatchStdDevOptions = {}) {
    super();
    const groupSize = options.groupSize ?? 4;
    if (!Number.isInteger(groupSize) || groupSize < 1) {
      throw new Error(`MinibatchStdDev option 'groupSize' must be a positive integer, got ${groupSize}`);
    }
    this.groupSize = groupSize;
  }

  /** `[B, H, W, C]` → `[B, H, W, C + 1]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4) throw new Error(`MinibatchStdDev expects input [B, H, W, C], got [${x.shape}]`);
    const [b, h, w, c] = x.shape;
    let g = Math.min(this.groupSize, b);
    while (b % g !== 0) g--;
    return tf.tidy(() => {
      const grouped = tf.reshape(x, [g, b / g, h, w, c]);
      const centred = tf.sub(grouped, tf.mean(grouped, 0));
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), 1e-8)); // [B/G, H, W, C]
      const perGroup = tf.mean(std, [1, 2, 3]); // [B/G]
      const channel = tf.reshape(tf.tile(perGroup, [g]), [b, 1, 1, 1]);
      return tf.concat([x, tf.tile(channel, [1, h, w, 1])], 3) as tf.Tensor4D;
    });
  }
}
