import { Conv2d, IMAGE_SIZE, type Layer4D, LeakyReLU, Module, type ProjectionHead, Sequential, checkImages, checkLabels, dcganInit } from "@gan/layers";
import type { DiscriminatorOutput, ForwardOptions, GanDiscriminator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { attend, projectedLogits, wantsMaps } from "./attention-stack";
import {
  type AttentionModule,
  type NormalizableLayer,
  type SaganReferenceConfig,
  attentionBlock,
  normalized,
  projectionHead,
  refuseLatentGap,
  resolveSaganReferenceConfig,
} from "./config";

const WHERE = "SaganDiscriminator";

/**
 * The article's SAGAN discriminator, layer for layer: the DCGAN discriminator with spectral normalisation on
 * every convolution but the last, and self-attention after layers 3 and 4.
 *
 * `layer1`…`layer4` are normalised convolution (kernel 4, stride 2, padding 1) → LeakyReLU(0.1) with
 * `w, 2w, 4w, 8w` channels; `self_attntion1` follows `layer3` and `self_attntion2` follows `layer4`; `last` is a
 * plain 4×4 convolution to one logit. The state dict equals the article's. The `attention` and `normalize`
 * options swap in custom layers; other layouts (working size 32, attention elsewhere) are
 * {@link FlexibleSaganDiscriminator}.
 *
 * With `numClasses` the discriminator is a projection discriminator (Miyato & Koyama 2018): `embed`, a
 * spectrally normalised class embedding over the 4×4 map `h` that `last` reads (`ProjectionHead` of `@gan/layers`;
 * `embed.weight_orig`, `embed.weight_u`, `embed.weight_v` as the reference's `ConditionalSaganDiscriminator`), adds
 * `⟨embed(y), h⟩` to each logit; `forward(images, { labels })` scores each image as a member of its label's class.
 */
export class SaganDiscriminator extends Module implements GanDiscriminator {
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
  /** The attention after `layer3` (state-dict name `self_attntion1`). */
  readonly selfAttention1: AttentionModule;
  readonly layer4: Sequential;
  /** The attention after `layer4` (state-dict name `self_attntion2`). */
  readonly selfAttention2: AttentionModule;
  readonly last: Conv2d;
  /** The projection head (state-dict name `embed`) of a conditional discriminator; undefined when unconditional. */
  readonly embed: ProjectionHead | undefined;
  /** The attention blocks by the layer they follow: 3 and 4 (as {@link FlexibleSaganDiscriminator.attentions}). */
  readonly attentions: ReadonlyMap<number, AttentionModule>;

  constructor(config: SaganReferenceConfig = {}) {
    super();
    refuseLatentGap(config, WHERE);
    const { width: w, channels, init, random, attention, normalize, numClasses } = resolveSaganReferenceConfig(
      config,
      WHERE,
      "FlexibleSaganDiscriminator",
    );
    this.numClasses = numClasses;
    this.width = w;
    this.channels = channels;
    const sn = (layer: NormalizableLayer): Layer4D => normalized(normalize, layer, random, WHERE);

    this.layer1 = this.registerModule(
      "layer1",
      new Sequential(sn(new Conv2d(channels, w, 4, { stride: 2, padding: 1, random })), new LeakyReLU(0.1)),
    ); // 64×64 → 32×32
    this.layer2 = this.registerModule(
      "layer2",
      new Sequential(sn(new Conv2d(w, w * 2, 4, { stride: 2, padding: 1, random })), new LeakyReLU(0.1)),
    ); // → 16×16
    this.layer3 = this.registerModule(
      "layer3",
      new Sequential(sn(new Conv2d(w * 2, w * 4, 4, { stride: 2, padding: 1, random })), new LeakyReLU(0.1)),
    ); // → 8×8
    this.selfAttention1 = this.registerModule("self_attntion1", attentionBlock(attention, w * 4, random, WHERE));
    this.layer4 = this.registerModule(
      "layer4",
      new Sequential(sn(new Conv2d(w * 4, w * 8, 4, { stride: 2, padding: 1, random })), new LeakyReLU(0.1)),
    ); // → 4×4
    this.selfAttention2 = this.registerModule("self_attntion2", attentionBlock(attention, w * 8, random, WHERE));
    this.last = this.registerModule("last", new Conv2d(w * 8, 1, 4, { stride: 1, random })); // → 1×1
    this.embed = numClasses === undefined ? undefined : this.registerModule("embed", projectionHead(numClasses, w * 8, random));
    this.attentions = new Map([
      [3, this.selfAttention1],
      [4, this.selfAttention2],
    ]);
    if (init === "dcgan") dcganInit(this, random);
  }

  /**
   * Scores images `[B, 64, 64, channels]`: one logit each, `[B]`, with the two attention maps `[B, 64, 64]` and
   * `[B, 16, 16]` (the article's `attention_map1`, `attention_map2`), unless `options.attentionMaps` is `false`.
   * A conditional discriminator needs `options.labels` (int32 `[B]` in [0, numClasses)); an unconditional one
   * ignores them.
   */
  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput {
    checkImages(images, this.imageSize, this.channels, `${WHERE}.forward`);
    const wanted = wantsMaps(options, `${WHERE}.forward`);
    const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, images.shape[0], this.numClasses, `${WHERE}.forward`);
    return tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      let out = this.layer1.forward(images);
      out = this.layer2.forward(out);
      out = this.layer3.forward(out);
      out = attend(this.selfAttention1, out, wanted, maps);
      out = this.layer4.forward(out);
      out = attend(this.selfAttention2, out, wanted, maps);
      return { logits: projectedLogits(this.last, this.embed, out, labels), attentionMaps: maps };
    });
  }
}
