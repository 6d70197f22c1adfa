import {
  ConvTranspose2d,
  IMAGE_SIZE,
  type LatentGap,
  Module,
  ReLU,
  Sequential,
  Tanh,
  Upsample2d,
  checkLabels,
  dcganInit,
  latentGrid,
} from "@gan/layers";
import type { ForwardOptions, GanGenerator, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { attendAfter, wantsMaps } from "./attention-stack";
import { type AttentionModule, type SaganConfig, attentionBlock, batchNorm, normalized, refuseDiscriminatorOptions, resolveSaganConfig } from "./config";

const WHERE = "FlexibleSaganGenerator";

/**
 * The SAGAN generator with a configurable layout, for the fast recipes; {@link SaganGenerator} is the article's.
 * With the reference layout (`attentionAfter` [3, 4], `workingSize` 64, no `latentGap`) it builds the same
 * modules, weights and state dict as {@link SaganGenerator} for the same seed.
 *
 * `layer1`…`layer4` are normalised transposed convolution (kernel 4) → BatchNorm → ReLU with `8w, 4w, 2w, w`
 * channels, each optionally followed by an attention block (`attentionAfter`; named `self_attntion1`,
 * `self_attntion2`, ... in layer order); `last` is a plain transposed convolution to the image channels → tanh.
 * With `workingSize: 32` there is no `layer4`: `last` reads `layer3`'s `2w` channels and draws 32×32, and
 * `upsample` (bilinear, no parameters) makes the image 64×64. With `latentGap`, `latentGap` (no parameters) moves
 * the codes into separate modes first. With `numClasses`, conditional BatchNorm layers as in {@link SaganGenerator}.
 */
export class FlexibleSaganGenerator extends Module implements GanGenerator {
  readonly zDim: number;
  /** Number of classes of a conditional generator; undefined for an unconditional one. */
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
  /** Undefined when the generator works at 32×32. */
  readonly layer4: Sequential | undefined;
  readonly last: Sequential;
  /** The side the generator draws at before {@link FlexibleSaganGenerator.upsample}: 64 (the reference) or 32. */
  readonly workingSize: 32 | 64;
  /** 2× bilinear upsampling of the 32×32 image; undefined at working size 64. */
  readonly upsample: Upsample2d | undefined;
  /** The latent prior's separate modes ({@link SaganConfig.latentGap}); undefined for the reference's normal codes. */
  readonly latentGap: LatentGap | undefined;
  /** The attention blocks, by the layer (1–4) they follow. */
  readonly attentions = new Map<number, AttentionModule>();

  constructor(config: SaganConfig = {}) {
    super();
    refuseDiscriminatorOptions(config, WHERE);
    const c = resolveSaganConfig(config, WHERE);
    const { zDim, width: w, channels, random } = c;
    this.zDim = zDim;
    this.numClasses = c.numClasses;
    this.width = w;
    this.channels = channels;
    this.workingSize = c.workingSize;
    this.latentGap = c.latentGap ? this.registerModule("latentGap", c.latentGap) : undefined;
    if (c.workingSize === 32 && c.attentionAfter.includes(4)) {
      throw new Error(`${WHERE}: option 'attentionAfter' cannot include 4 with workingSize 32 (there is no layer 4)`);
    }
    const up = (inC: number, outC: number, stride: number, padding: number) =>
      new Sequential(
        normalized(c.normalize, new ConvTranspose2d(inC, outC, 4, { stride, padding, random }), random, WHERE),
        batchNorm(outC, c.numClasses),
        new ReLU(),
      );
    const attend = (layer: number, inChannels: number) => {
      if (!c.attentionAfter.includes(layer)) return;
      const block = attentionBlock(c.attention, inChannels, random, WHERE);
      this.attentions.set(layer, this.registerModule(`self_attntion${this.attentions.size + 1}`, block));
    };

    this.layer1 = this.registerModule("layer1", up(zDim, w * 8, 1, 0)); // 1×1 → 4×4
    attend(1, w * 8);
    this.layer2 = this.registerModule("layer2", up(w * 8, w * 4, 2, 1)); // → 8×8
    attend(2, w * 4);
    this.layer3 = this.registerModule("layer3", up(w * 4, w * 2, 2, 1)); // → 16×16
    attend(3, w * 2);
    const full = c.workingSize === 64;
    this.layer4 = full ? this.registerModule("layer4", up(w * 2, w, 2, 1)) : undefined; // → 32×32
    attend(4, w);
    const lastIn = full ? w : w * 2;
    this.last = this.registerModule(
      "last",
      new Sequential(new ConvTranspose2d(lastIn, channels, 4, { stride: 2, padding: 1, random }), new Tanh()), // → 64×64 (32×32)
    );
    this.upsample = full ? undefined : this.registerModule("upsample", new Upsample2d(2)); // 32×32 → 64×64
    if (c.init === "dcgan") dcganInit(this, random);
  }

  /**
   * Generates images `[B, 64, 64, channels]` from latent codes `[B, zDim]` or `[B, 1, 1, zDim]`, with the
   * attention map `[B, N, N]` of each attention block (N = 16·16 after layer 3, 32·32 after layer 4), unless
   * `options.attentionMaps` is `false`. A conditional generator needs `options.labels` (int32 `[B]` in
   * [0, numClasses)); an unconditional one ignores them.
   */
  forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput {
    const wanted = wantsMaps(options, `${WHERE}.forward`);
    return tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      let out = latentGrid(z, this.zDim, `${WHERE}.forward`);
      const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, out.shape[0], this.numClasses, `${WHERE}.forward`);
      if (this.latentGap) out = this.latentGap.forward(out);
      out = attendAfter(this.attentions, 1, this.layer1.forward(out, labels), wanted, maps);
      out = attendAfter(this.attentions, 2, this.layer2.forward(out, labels), wanted, maps);
      out = attendAfter(this.attentions, 3, this.layer3.forward(out, labels), wanted, maps);
      if (this.layer4) out = attendAfter(this.attentions, 4, this.layer4.forward(out, labels), wanted, maps);
      const images = this.last.forward(out);
      return { images: this.upsample ? this.upsample.forward(images) : images, attentionMaps: maps };
    });
  }
}
