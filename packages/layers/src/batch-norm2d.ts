import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** Options of {@link BatchNorm2d}. */
export interface BatchNorm2dOptions {
  /** Added to the variance for numerical stability (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch statistic in the running averages (default 0.1); `null`: plain averages over all
   * batches since the last {@link BatchNorm2d.resetRunningStats} (PyTorch's `momentum=None`).
   */
  momentum?: number | null;
  /**
   * Whether the layer has the learnt per-channel scale `weight` and shift `bias` (default true). `false` is
   * PyTorch's `affine=False`: the layer only normalises and holds no parameters, only its running statistics
   * (what {@link ConditionalBatchNorm2d} wraps, adding a scale and shift per class).
   */
  affine?: boolean;
}

/**
 * Batch normalisation over `[B, H, W]` for each channel of an NHWC input, with PyTorch's semantics
 * (`torch.nn.BatchNorm2d`, affine unless `affine: false`, tracking running statistics).
 *
 * Parameters `weight` (ones) and `bias` (zeros), absent with `affine: false`; buffers `running_mean` (zeros), `running_var` (ones) and
 * `num_batches_tracked` (int32 0). In training mode the batch is normalised with its own mean and biased
 * variance, and the running statistics move towards the batch mean and the **unbiased** variance:
 * `running = (1 − momentum)·running + momentum·batch`, with `momentum = 1 / num_batches_tracked` when it is
 * `null` (a cumulative average); `num_batches_tracked` counts the batches. In evaluation
 * mode the running statistics normalise. The update happens inside `forward`, also when that runs under
 * `tf.grad`, `tf.variableGrads` or an optimizer's `minimize`.
 */
export class BatchNorm2d extends Module {
  /** Channels normalised. */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /**
   * Weight of each batch's statistics in the running averages (`null`: cumulative average). Settable, as in
   * PyTorch, e.g. to recompute the statistics of a model whose weights were replaced ({@link standingStatistics}).
   */
  momentum: number | null;
  /** Whether the layer has the parameters `weight` and `bias` (PyTorch's `affine`). */
  readonly affine: boolean;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new Error(`BatchNorm2d numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (!(this.eps > 0)) throw new Error(`BatchNorm2d eps must be > 0, got ${this.eps}`);
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`BatchNorm2d momentum must be in [0, 1], got ${this.momentum}`);
    }
    this.affine = options.affine ?? true;
    if (typeof this.affine !== "boolean") throw new Error(`BatchNorm2d affine must be a boolean, got ${JSON.stringify(options.affine)}`);
    if (this.affine) {
      this.registerParameter("weight", tf.ones([numFeatures]));
      this.registerParameter("bias", tf.zeros([numFeatures]));
    }
    this.registerBuffer("running_mean", tf.zeros([numFeatures]));
    this.registerBuffer("running_var", tf.ones([numFeatures]));
    this.registerBuffer("num_batches_tracked", tf.scalar(0, "int32"));
  }

  /** Normalises `x` `[B, H, W, C]`; in training mode also updates the running statistics. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.numFeatures) {
      throw new Error(`BatchNorm2d expects input [B, H, W, ${this.numFeatures}] (NHWC), got [${x.shape}]`);
    }
    return tf.tidy(() => {
      let centred: tf.Tensor;
      let variance: tf.Tensor;
      if (this.training) {
        const n = x.shape[0] * x.shape[1] * x.shape[2];
        if (n < 2) throw new Error(`BatchNorm2d: expected more than 1 value per channel when training, got input [${x.shape}]`);
        const mean = tf.mean(x, [0, 1, 2]);
        // One `x − mean` for the variance and the output: each tensor an op makes is kept for the backward pass.
        centred = tf.sub(x, mean);
        variance = tf.mean(tf.square(centred), [0, 1, 2]);
        this.updateRunningStats(mean, variance, n);
      } else {
        centred = tf.sub(x, this.getBuffer("running_mean"));
        variance = this.getBuffer("running_var");
      }
      const inverse = tf.rsqrt(tf.add(variance, this.eps));
      if (!this.affine) return tf.mul(centred, inverse) as tf.Tensor4D;
      const scale = tf.mul(inverse, this.getParameter("weight"));
      return scaleAndShift(centred as tf.Tensor4D, scale as tf.Tensor1D, this.getParameter("bias") as tf.Tensor1D);
    });
  }

  /** Running mean 0, running variance 1, batch count 0 (PyTorch's `reset_running_stats`). */
  resetRunningStats(): void {
    tf.tidy(() => {
      this.getBuffer("running_mean").assign(tf.zerosLike(this.getBuffer("running_mean")));
      this.getBuffer("running_var").assign(tf.onesLike(this.getBuffer("running_var")));
      this.getBuffer("num_batches_tracked").assign(tf.scalar(0, "int32"));
    });
    this.knownCount = { dataId: this.getBuffer("num_batches_tracked").dataId, value: 0 };
  }

  /**
   * `num_batches_tracked` as this module last wrote it, valid while the buffer still holds that data (loading a
   * state dict replaces its data id). The cumulative average needs the count on the host each batch, and reading it
   * back is a synchronous download: a stall on GPU backends, and an error on WebGPU in software.
   */
  private knownCount: { dataId: object; value: number } | undefined;

  private batchCount(count: tf.Tensor): number {
    const known = this.knownCount;
    return known !== undefined && known.dataId === count.dataId ? known.value : count.dataSync()[0];
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const runningMean = this.getBuffer("running_mean");
    const runningVar = this.getBuffer("running_var");
    const count = this.getBuffer("num_batches_tracked");
    const batches = this.momentum === null ? this.batchCount(count) : undefined;
    const m = batches === undefined ? (this.momentum as number) : 1 / (batches + 1);
    // Assigning is invisible to the gradient tape, and these values feed nothing the loss depends on, so
    // backpropagation never reaches them; the caller's tidy frees the temporaries.
    const unbiased = tf.mul(variance, n / (n - 1));
    runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
    runningVar.assign(tf.add(tf.mul(runningVar, 1 - m), tf.mul(unbiased, m)));
    count.assign(tf.add(count, tf.scalar(1, "int32")));
    this.knownCount = batches === undefined ? undefined : { dataId: count.dataId, value: batches + 1 };
  }
}

/**
 * `centred · scale + shift` (per channel) with tfjs's own gradients for `mul` then `add`, computed the same way
 * (so the same bits), but without keeping the product `centred · scale` for the backward pass, which `add` saves
 * only for its shape: one full-size activation less per BatchNorm layer while training.
 */
const scaleAndShift = tf.customGrad((centred, scale, shift, save) => {
  const [c, s, b] = [centred, scale, shift] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
  (save as (tensors: tf.Tensor[]) => void)([c, s]);
  return {
    value: tf.tidy(() => tf.add(tf.mul(c, s), b)),
    gradFunc: (dy, saved) => {
      const [cs, ss] = saved as [tf.Tensor4D, tf.Tensor1D];
      const g = dy as tf.Tensor4D;
      return [
        tf.mul(g, ss),
        tf.reshape(tf.sum(tf.mul(g, cs), [0, 1, 2]), ss.shape),
        tf.reshape(tf.sum(g, [0, 1, 2]), ss.shape),
      ];
    },
  };
}) as (centred: tf.Tensor4D, scale: tf.Tensor1D, shift: tf.Tensor1D) => tf.Tensor4D;
