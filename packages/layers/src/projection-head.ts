import * as tf from "@tensorflow/tfjs-core";
import { lookupRows } from "./embedding";
import { checkLabels } from "./model-inputs";
import { type Random, defaultRandom } from "./random";
import { WeightedModule } from "./weighted-module";

/** Options of {@link ProjectionHead}. */
export interface ProjectionHeadOptions {
  /** Source of the initial weights, N(0, 1) as `nn.Embedding`'s (default: the library-wide {@link defaultRandom}). */
  random?: Random;
}

/**
 * The class term of a projection discriminator (Miyato & Koyama 2018, "cGANs with projection discriminator"):
 * `forward(φ, labels)` returns `⟨embed(y), φ⟩` `[B]`, which a discriminator adds to its unconditional logit
 * `ψ(φ)`. The parameter `weight` `[numClasses, numFeatures]` is a class embedding, PyTorch's
 * `nn.Embedding(numClasses, numFeatures)` (N(0, 1) at first; `dcganInit` draws N(0, 0.02), the reference's scale
 * for convolution weights), so `spectralNorm(head)` is `torch.nn.utils.spectral_norm(nn.Embedding(...))` of the
 * SNGAN / BigGAN projection discriminators (`weight_orig`, `weight_u` `[numClasses]`, `weight_v`
 * `[numFeatures]`).
 *
 * `φ` is `[B, numFeatures]`, or an NHWC feature map `[B, H, W, C]` with `C·H·W = numFeatures`, flattened in
 * PyTorch's `(C, H, W)` order (`h.view(B, -1)` of the NCHW map), so the weights interchange with the reference's
 * `embed`. The models of `@gan/dcgan` and `@gan/sagan` pass the input of their last convolution, whose 4×4 kernel over
 * the 4×4 map is the linear `ψ`. Labels are int32 `[B]` in [0, numClasses); missing or out-of-range labels are errors.
 */
export class ProjectionHead extends WeightedModule {
  /** Number of classes. */
  readonly numClasses: number;
  /** Length of the feature vector `φ`. */
  readonly numFeatures: number;
  readonly outputDim = 0;

  constructor(numClasses: number, numFeatures: number, options: ProjectionHeadOptions = {}) {
    super();
    for (const [name, value] of [
      ["numClasses", numClasses],
      ["numFeatures", numFeatures],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`ProjectionHead ${name} must be a positive integer, got ${value}`);
    }
    this.numClasses = numClasses;
    this.numFeatures = numFeatures;
    this.registerParameter("weight", (options.random ?? defaultRandom()).normal([numClasses, numFeatures]));
  }

  /** `⟨embed(labels), φ⟩` `[B]` for features `φ` `[B, numFeatures]` or `[B, H, W, C]` (see the class). */
  forward(features: tf.Tensor, labels?: tf.Tensor1D): tf.Tensor1D {
    const where = "ProjectionHead.forward";
    const size = features.shape.slice(1).reduce((a, b) => a * b, 1);
    if (!((features.rank === 2 || features.rank === 4) && size === this.numFeatures)) {
      throw new Error(`${where}: features must be [B, ${this.numFeatures}] or [B, H, W, C] with H·W·C = ${this.numFeatures}, got [${features.shape}]`);
    }
    const y = checkLabels(labels, features.shape[0], this.numClasses, where);
    return tf.tidy(() => {
      const b = features.shape[0];
      // NHWC → NCHW before flattening: the embedding's columns follow PyTorch's (C, H, W) order.
      const phi = features.rank === 4 ? tf.reshape(tf.transpose(features, [0, 3, 1, 2]), [b, this.numFeatures]) : features;
      return tf.sum(tf.mul(lookupRows(this.weight(), y), phi), 1) as tf.Tensor1D;
    });
  }
}
