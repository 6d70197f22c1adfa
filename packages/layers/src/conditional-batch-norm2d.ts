import * as tf from "@tensorflow/tfjs-core";
import { BatchNorm2d } from "./batch-norm2d";
import { Embedding } from "./embedding";
import { checkLabels } from "./model-inputs";
import { Module } from "./module";
import type { ConditionalLayer4D } from "./sequential";

/** Options of {@link ConditionalBatchNorm2d}. */
export interface ConditionalBatchNorm2dOptions {
  /** Added to the variance for numerical stability (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic in the running averages (default 0.1; `null`: cumulative, see {@link BatchNorm2d}). */
  momentum?: number | null;
}

/**
 * Class-conditional batch normalisation (de Vries et al. 2017; the generators of SAGAN and BigGAN): a
 * {@link BatchNorm2d} without its own scale and shift normalises `x`, then each sample gets the scale and shift of
 * its class, `out = γ[y] · BN(x) + β[y]`.
 *
 * Modules, as the PyTorch reference `ConditionalBatchNorm2d` of `tools/reference/reference.py` names them (so
 * weights interchange): `bn` (`BatchNorm2d(numFeatures, affine=False)`: buffers `bn.running_mean`,
 * `bn.running_var`, `bn.num_batches_tracked`), `gamma_embed` and `beta_embed` (`Embedding(numClasses,
 * numFeatures)`: parameters `gamma_embed.weight`, `beta_embed.weight`). γ starts at 1 and β at 0 for every class,
 * so a fresh layer is a plain BatchNorm2d; `dcganInit` draws γ from N(1, 0.02), like the reference's BatchNorm
 * weights. The running statistics are shared by all classes and move in training mode as {@link BatchNorm2d}'s
 * (also under `tf.grad` and optimizers); evaluation mode normalises with them. `standingStatistics` re-measures
 * them like any BatchNorm2d's.
 *
 * `forward(x, labels)` takes int32 labels `[B]` in [0, numClasses); missing or out-of-range labels are errors.
 * A {@link Sequential} passes its own `labels` on to it (`takesLabels`), so the layer sits where a BatchNorm2d
 * sat: `new Sequential(conv, new ConditionalBatchNorm2d(c, k), new ReLU()).forward(x, labels)`.
 */
export class ConditionalBatchNorm2d extends Module implements ConditionalLayer4D {
  /** Channels normalised. */
  readonly numFeatures: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** Marks a layer whose `forward` reads class labels beside its input; {@link Sequential} passes them. */
  readonly takesLabels = true as const;
  /** The class-independent normalisation (state-dict name `bn`), PyTorch's `BatchNorm2d(affine=False)`. */
  readonly bn: BatchNorm2d;
  /** The scale of each class, `[numClasses, numFeatures]` (`gamma_embed`). */
  readonly gammaEmbed: Embedding;
  /** The shift of each class, `[numClasses, numFeatures]` (`beta_embed`). */
  readonly betaEmbed: Embedding;

  constructor(numFeatures: number, numClasses: number, options: ConditionalBatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new Error(`ConditionalBatchNorm2d numFeatures must be a positive integer, got ${numFeatures}`);
    }
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`ConditionalBatchNorm2d numClasses must be a positive integer, got ${numClasses}`);
    }
    this.numFeatures = numFeatures;
    this.numClasses = numClasses;
    this.bn = this.registerModule("bn", new BatchNorm2d(numFeatures, { ...options, affine: false }));
    this.gammaEmbed = this.registerModule("gamma_embed", new Embedding(numClasses, numFeatures, { fill: 1 }));
    this.betaEmbed = this.registerModule("beta_embed", new Embedding(numClasses, numFeatures, { fill: 0 }));
  }

  /** Added to the variance before the square root (the inner BatchNorm2d's). */
  get eps(): number {
    return this.bn.eps;
  }

  /** Normalises `x` `[B, H, W, C]` and applies each sample's class scale and shift; training mode updates the running statistics. */
  forward(x: tf.Tensor4D, labels?: tf.Tensor1D): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.numFeatures) {
      throw new Error(`ConditionalBatchNorm2d expects input [B, H, W, ${this.numFeatures}] (NHWC), got [${x.shape}]`);
    }
    const y = checkLabels(labels, x.shape[0], this.numClasses, "ConditionalBatchNorm2d.forward");
    return tf.tidy(() => {
      const normalized = this.bn.forward(x);
      const shape = [x.shape[0], 1, 1, this.numFeatures];
      const gamma = tf.reshape(this.gammaEmbed.forward(y), shape);
      const beta = tf.reshape(this.betaEmbed.forward(y), shape);
      return tf.add(tf.mul(gamma, normalized), beta) as tf.Tensor4D;
    });
  }
}
