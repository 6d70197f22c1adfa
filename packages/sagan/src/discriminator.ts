import { Conv2d, IMAGE_SIZE, type Layer4D, LeakyReLU, Module, Sequential, checkImages, dcganInit } from "@gan/layers";
import type { DiscriminatorOutput, ForwardOptions, GanDiscriminator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { attend, wantsMaps } from "./attention-stack";
import {
  type AttentionModule,
  type NormalizableLayer,
  type SaganReferenceConfig,
  attentionBlock,
  normalized,
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
 */
export class SaganDiscriminator extends Module implements GanDiscriminator {
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
  /** The attention blocks by the layer they follow: 3 and 4 (as {@link FlexibleSaganDiscriminator.attentions}). */
  readonly attentions: ReadonlyMap<number, AttentionModule>;

  constructor(config: SaganReferenceConfig = {}) {
    super();
    refuseLatentGap(config, WHERE);
    const { width: w, channels, init, random, attention, normalize } = resolveSaganReferenceConfig(config, WHERE, "FlexibleSaganDiscriminator");
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
    this.attentions = new Map([
      [3, this.selfAttention1],
      [4, this.selfAttention2],
    ]);
    if (init === "dcgan") dcganInit(this, random);
  }

  /**
   * Scores images `[B, 64, 64, channels]`: one logit each, `[B]`, with the two attention maps `[B, 64, 64]` and
   * `[B, 16, 16]` (the article's `attention_map1`, `attention_map2`), unless `options.attentionMaps` is `false`.
   */
  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput {
    checkImages(images, this.imageSize, this.channels, `${WHERE}.forward`);
    const wanted = wantsMaps(options, `${WHERE}.forward`);
    return tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      let out = this.layer1.forward(images);
      out = this.layer2.forward(out);
      out = this.layer3.forward(out);
      out = attend(this.selfAttention1, out, wanted, maps);
      out = this.layer4.forward(out);
      out = attend(this.selfAttention2, out, wanted, maps);
      const logits = tf.reshape(this.last.forward(out), [images.shape[0]]) as tf.Tensor1D;
      return { logits, attentionMaps: maps };
    });
  }
}
