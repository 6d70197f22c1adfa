import {
  BatchNorm2d,
  type ConditionalConfig,
  ConditionalBatchNorm2d,
  ConvTranspose2d,
  IMAGE_SIZE,
  type ModelConfig,
  Module,
  type Random,
  ReLU,
  Sequential,
  Tanh,
  checkLabels,
  dcganInit,
  latentGrid,
  resolveModelConfig,
  resolveNumClasses,
} from "@gan/layers";
import type { ForwardOptions, GanGenerator, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/**
 * The reference DCGAN generator: `z` → 4×4 → 8×8 → 16×16 → 32×32 → 64×64 images in [-1, 1].
 *
 * `layer1`…`layer4` are transposed convolution (kernel 4) → BatchNorm → ReLU with `8w, 4w, 2w, w` channels;
 * `last` is a transposed convolution to the image channels → tanh. State-dict names equal PyTorch's
 * (`layer1.0.weight`, `layer1.1.running_mean`, `last.0.bias`, ...). The latent prior with separate modes is
 * {@link LatentGapDcganGenerator}; `createGenerator` picks it when the config has `latentGap`.
 *
 * With `numClasses` the generator is class-conditional: each BatchNorm becomes a `ConditionalBatchNorm2d` of
 * `@gan/layers` (`layer1.1.bn.running_mean`, `layer1.1.gamma_embed.weight`, `layer1.1.beta_embed.weight`, ... as
 * the reference's `ConditionalDcganGenerator`), and `forward(z, { labels })` draws each image of its label's class.
 */
export class DcganGenerator extends Module implements GanGenerator {
  readonly zDim: number;
  /** Number of classes of a conditional generator; undefined for the article's unconditional one. */
  readonly numClasses: number | undefined;
  /** The width multiplier (the reference's `image_size`). */
  readonly width: number;
  /** Image channels. */
  readonly channels: number;
  /** Side of the generated images: 64. */
  readonly imageSize = IMAGE_SIZE;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly last: Sequential;

  constructor(config: ModelConfig & ConditionalConfig = {}) {
    super();
    if ((config as { latentGap?: unknown }).latentGap !== undefined) {
      throw new Error("DcganGenerator: option 'latentGap' belongs to LatentGapDcganGenerator (or use createGenerator)");
    }
    const { zDim, width: w, channels, init, random } = resolveModelConfig(config, "DcganGenerator", ["latentGap", "numClasses"]);
    const numClasses = resolveNumClasses(config.numClasses, "DcganGenerator");
    this.zDim = zDim;
    this.numClasses = numClasses;
    this.width = w;
    this.channels = channels;

    this.layer1 = this.registerModule("layer1", upBlock(zDim, w * 8, 1, 0, random, numClasses)); // 1×1 → 4×4
    this.layer2 = this.registerModule("layer2", upBlock(w * 8, w * 4, 2, 1, random, numClasses)); // → 8×8
    this.layer3 = this.registerModule("layer3", upBlock(w * 4, w * 2, 2, 1, random, numClasses)); // → 16×16
    this.layer4 = this.registerModule("layer4", upBlock(w * 2, w, 2, 1, random, numClasses)); // → 32×32
    this.last = this.registerModule(
      "last",
      new Sequential(new ConvTranspose2d(w, channels, 4, { stride: 2, padding: 1, random }), new Tanh()), // → 64×64
    );
    if (init === "dcgan") dcganInit(this, random);
  }

  /**
   * Generates images `[B, 64, 64, channels]` from latent codes `[B, zDim]` or `[B, 1, 1, zDim]` (no attention
   * maps). A conditional generator needs `options.labels` (int32 `[B]` in [0, numClasses)); an unconditional one
   * ignores them.
   */
  forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput {
    const images = tf.tidy(() => {
      let out = latentGrid(z, this.zDim, "DcganGenerator.forward");
      const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, out.shape[0], this.numClasses, "DcganGenerator.forward");
      out = this.layer1.forward(out, labels);
      out = this.layer2.forward(out, labels);
      out = this.layer3.forward(out, labels);
      out = this.layer4.forward(out, labels);
      return this.last.forward(out);
    });
    return { images, attentionMaps: [] };
  }
}

function upBlock(inC: number, outC: number, stride: number, padding: number, random: Random, numClasses: number | undefined): Sequential {
  const norm = numClasses === undefined ? new BatchNorm2d(outC) : new ConditionalBatchNorm2d(outC, numClasses);
  return new Sequential(new ConvTranspose2d(inC, outC, 4, { stride, padding, random }), norm, new ReLU());
}
