import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/**
 * Averages non-overlapping `k × k` blocks of `[B, H, W, C]`, as `torch.nn.AvgPool2d(k)` (stride `k`, no padding;
 * rows and columns that do not fill a block are dropped). Has no parameters.
 */
export class AvgPool2d extends Module {
  /** The side of the averaged blocks (also the stride). */
  readonly kernelSize: number;

  constructor(kernelSize: number) {
    super();
    if (!Number.isInteger(kernelSize) || kernelSize < 1) {
      throw new Error(`AvgPool2d kernelSize must be a positive integer, got ${kernelSize}`);
    }
    this.kernelSize = kernelSize;
  }

  /** Pools `x` `[B, H, W, C]` to `[B, ⌊H/k⌋, ⌊W/k⌋, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const k = this.kernelSize;
    if (x.rank !== 4 || x.shape[1] < k || x.shape[2] < k) {
      throw new Error(`AvgPool2d(${k}) expects input [B, H, W, C] with H, W ≥ ${k}, got [${x.shape}]`);
    }
    return tf.avgPool(x, k, k, "valid");
  }
}
