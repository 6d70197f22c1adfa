import {
  type ConditionalConfig,
  Conv2d,
  IMAGE_SIZE,
  LeakyReLU,
  type ModelConfig,
  Module,
  ProjectionHead,
  type Random,
  Sequential,
  checkImages,
  checkLabels,
  dcganInit,
  resolveModelConfig,
  resolveNumClasses,
} from "@gan/layers";
import type { DiscriminatorOutput, ForwardOptions, GanDiscriminator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/**
 * The reference DCGAN discriminator: 64×64 images → 32×32 → 16×16 → 8×8 → 4×4 → one logit each.
 *
 * `layer1`…`layer4` are convolution (kernel 4, stride 2, padding 1) → LeakyReLU(0.1) with `w, 2w, 4w, 8w`
 * channels (no BatchNorm, as the reference); `last` is a 4×4 convolution to one channel. State-dict names equal
 * PyTorch's (`layer1.0.weight`, ..., `last.weight`).
 *
 * With `numClasses` the discriminator is a projection discriminator (Miyato & Koyama 2018): `embed`, a class
 * embedding over the 4×4 map `h` that `last` reads (`ProjectionHead` of `@gan/layers`, `embed.weight` as the
 * reference's `ConditionalDcganDiscriminator`; no spectral norm, like the rest of the article's DCGAN), adds
 * `⟨embed(y), h⟩` to each logit; `forward(images, { labels })` scores each image as a member of its label's class.
 */
export class DcganDiscriminator extends Module implements GanDiscriminator {
  /** Number of classes of a conditional discriminator; undefined for the article's unconditional one. */
  readonly numClasses: number | undefined;
  /** The width multiplier (the reference's `image_size`). */
  readonly width: number;
  /** Image channels. */
  readonly channels: number;
  /** Side of the scored images: 64. */
  readonly imageSize = IMAGE_SIZE;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly last: Conv2d;
  /** The projection head (state-dict name `embed`) of a conditional discriminator; undefined when unconditional. */
  readonly embed: ProjectionHead | undefined;

  constructor(config: ModelConfig & ConditionalConfig = {}) {
    super();
    const { width: w, channels, init, random } = resolveModelConfig(config, "DcganDiscriminator", ["numClasses"]);
    const numClasses = resolveNumClasses(config.numClasses, "DcganDiscriminator");
    this.numClasses = numClasses;
    this.width = w;
    this.channels = channels;

    this.layer1 = this.registerModule("layer1", downBlock(channels, w, random)); // 64×64 → 32×32
    this.layer2 = this.registerModule("layer2", downBlock(w, w * 2, random)); // → 16×16
    this.layer3 = this.registerModule("layer3", downBlock(w * 2, w * 4, random)); // → 8×8
    this.layer4 = this.registerModule("layer4", downBlock(w * 4, w * 8, random)); // → 4×4
    this.last = this.registerModule("last", new Conv2d(w * 8, 1, 4, { stride: 1, random })); // → 1×1
    this.embed = numClasses === undefined ? undefined : this.registerModule("embed", new ProjectionHead(numClasses, w * 8 * 4 * 4, { random }));
    if (init === "dcgan") dcganInit(this, random);
  }

  /**
   * Scores images `[B, 64, 64, channels]`: one logit each, `[B]` (no attention maps). A conditional discriminator
   * needs `options.labels` (int32 `[B]` in [0, numClasses)); an unconditional one ignores them.
   */
  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput {
    checkImages(images, this.imageSize, this.channels, "DcganDiscriminator.forward");
    const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, images.shape[0], this.numClasses, "DcganDiscriminator.forward");
    const logits = tf.tidy(() => {
      let out = this.layer1.forward(images);
      out = this.layer2.forward(out);
      out = this.layer3.forward(out);
      out = this.layer4.forward(out);
      const linear = tf.reshape(this.last.forward(out), [images.shape[0]]) as tf.Tensor1D;
      return this.embed ? (tf.add(linear, this.embed.forward(out, labels)) as tf.Tensor1D) : linear;
    });
    return { logits, attentionMaps: [] };
  }
}

function downBlock(inC: number, outC: number, random: Random): Sequential {
  return new Sequential(new Conv2d(inC, outC, 4, { stride: 2, padding: 1, random }), new LeakyReLU(0.1));
}
