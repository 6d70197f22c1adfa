import { ConvTranspose2d, IMAGE_SIZE, type Layer4D, Module, ReLU, Sequential, Tanh, checkLabels, dcganInit, latentGrid } from "@gan/layers";
import type { ForwardOptions, GanGenerator, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { attend, wantsMaps } from "./attention-stack";
import {
  type AttentionModule,
  type NormalizableLayer,
  type SaganReferenceConfig,
  attentionBlock,
  batchNorm,
  normalized,
  resolveSaganReferenceConfig,
} from "./config";

const WHERE = "SaganGenerator";

/**
 * The article's SAGAN generator, layer for layer: the DCGAN generator with spectral normalisation on every
 * transposed convolution but the last, and self-attention after layers 3 and 4.
 *
 * `layer1`…`layer4` are normalised transposed convolution (kernel 4) → BatchNorm → ReLU with `8w, 4w, 2w, w`
 * channels; `self_attntion1` follows `layer3` and `self_attntion2` follows `layer4` (the article's spelling);
 * `last` is a plain transposed convolution to the image channels → tanh. The state dict equals the article's
 * (`layer1.0.weight_orig`, `layer1.0.weight_u`, `self_attntion1.gamma`, ...). The `attention` and `normalize`
 * options swap in custom layers; other layouts (working size 32, attention elsewhere, a latent gap) are
 * {@link FlexibleSaganGenerator}.
 *
 * With `numClasses` the generator is class-conditional: each BatchNorm becomes a `ConditionalBatchNorm2d` of
 * `@gan/layers` (`layer1.1.bn.running_mean`, `layer1.1.gamma_embed.weight`, `layer1.1.beta_embed.weight`, ... as
 * the reference's `ConditionalSaganGenerator`), and `forward(z, { labels })` draws each image of its label's class.
 */
export class SaganGenerator extends Module implements GanGenerator {
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
  /** The attention after `layer3` (state-dict name `self_attntion1`). */
  readonly selfAttention1: AttentionModule;
  readonly layer4: Sequential;
  /** The attention after `layer4` (state-dict name `self_attntion2`). */
  readonly selfAttention2: AttentionModule;
  readonly last: Sequential;
  /** The attention blocks by the layer they follow: 3 and 4 (as {@link FlexibleSaganGenerator.attentions}). */
  readonly attentions: ReadonlyMap<number, AttentionModule>;

  constructor(config: SaganReferenceConfig = {}) {
    super();
    const { zDim, width: w, channels, init, random, attention, normalize, numClasses } = resolveSaganReferenceConfig(
      config,
      WHERE,
      "FlexibleSaganGenerator",
    );
    this.zDim = zDim;
    this.numClasses = numClasses;
    this.width = w;
    this.channels = channels;
    const sn = (layer: NormalizableLayer): Layer4D => normalized(normalize, layer, random, WHERE);

    this.layer1 = this.registerModule(
      "layer1",
      new Sequential(sn(new ConvTranspose2d(zDim, w * 8, 4, { stride: 1, random })), batchNorm(w * 8, numClasses), new ReLU()),
    ); // 1×1 → 4×4
    this.layer2 = this.registerModule(
      "layer2",
      new Sequential(sn(new ConvTranspose2d(w * 8, w * 4, 4, { stride: 2, padding: 1, random })), batchNorm(w * 4, numClasses), new ReLU()),
    ); // → 8×8
    this.layer3 = this.registerModule(
      "layer3",
      new Sequential(sn(new ConvTranspose2d(w * 4, w * 2, 4, { stride: 2, padding: 1, random })), batchNorm(w * 2, numClasses), new ReLU()),
    ); // → 16×16
    this.selfAttention1 = this.registerModule("self_attntion1", attentionBlock(attention, w * 2, random, WHERE));
    this.layer4 = this.registerModule(
      "layer4",
      new Sequential(sn(new ConvTranspose2d(w * 2, w, 4, { stride: 2, padding: 1, random })), batchNorm(w, numClasses), new ReLU()),
    ); // → 32×32
    this.selfAttention2 = this.registerModule("self_attntion2", attentionBlock(attention, w, random, WHERE));
    this.last = this.registerModule(
      "last",
      new Sequential(new ConvTranspose2d(w, channels, 4, { stride: 2, padding: 1, random }), new Tanh()),
    ); // → 64×64
    this.attentions = new Map([
      [3, this.selfAttention1],
      [4, this.selfAttention2],
    ]);
    if (init === "dcgan") dcganInit(this, random);
  }

  /**
   * Generates images `[B, 64, 64, channels]` from latent codes `[B, zDim]` or `[B, 1, 1, zDim]`, with the two
   * attention maps `[B, 256, 256]` and `[B, 1024, 1024]` (the article's `attention_map1`, `attention_map2`),
   * unless `options.attentionMaps` is `false`. A conditional generator needs `options.labels` (int32 `[B]` in
   * [0, numClasses)); an unconditional one ignores them.
   */
  forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput {
    const wanted = wantsMaps(options, `${WHERE}.forward`);
    return tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      let out = latentGrid(z, this.zDim, `${WHERE}.forward`);
      const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, out.shape[0], this.numClasses, `${WHERE}.forward`);
      out = this.layer1.forward(out, labels);
      out = this.layer2.forward(out, labels);
      out = this.layer3.forward(out, labels);
      out = attend(this.selfAttention1, out, wanted, maps);
      out = this.layer4.forward(out, labels);
      out = attend(this.selfAttention2, out, wanted, maps);
      const images = this.last.forward(out);
      return { images, attentionMaps: maps };
    });
  }
}
