import {
  AvgPool2d,
  Conv2d,
  IMAGE_SIZE,
  LeakyReLU,
  MinibatchStdDev,
  Module,
  PackSamples,
  type ProjectionHead,
  Sequential,
  checkImages,
  checkLabels,
  dcganInit,
} from "@gan/layers";
import type { DiscriminatorOutput, ForwardOptions, GanDiscriminator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { attendAfter, projectedLogits, wantsMaps } from "./attention-stack";
import { type AttentionModule, type SaganConfig, attentionBlock, normalized, projectionHead, refuseLatentGap, resolveSaganConfig } from "./config";

const WHERE = "FlexibleSaganDiscriminator";

/**
 * The SAGAN discriminator with a configurable layout, for the fast recipes; {@link SaganDiscriminator} is the
 * article's. With the reference layout (`attentionAfter` [3, 4], `workingSize` 64) it builds the same modules,
 * weights and state dict as {@link SaganDiscriminator} for the same seed.
 *
 * `layer1`…`layer4` are normalised convolution (kernel 4, stride 2, padding 1) → LeakyReLU(0.1) with
 * `w, 2w, 4w, 8w` channels, each optionally followed by an attention block (`attentionAfter`; named
 * `self_attntion1`, ... in layer order); `last` is a plain 4×4 convolution to one logit. With `workingSize: 32`
 * there is no `layer1`: `pool` averages 2×2 blocks of the 64×64 input and `layer2` reads the image channels.
 * With `numClasses`, a projection head `embed` as in {@link SaganDiscriminator}. With `minibatchStd`, a
 * {@link MinibatchStdDev} (`minibatchStd`, no parameters) before `last`, which then reads `8w + 1` channels. With
 * `pack`, a {@link PackSamples} (`packing`, no parameters) first: the nets score packs of `pack` consecutive images,
 * the first convolution reads `pack·channels` channels, and each image gets its pack's logit and attention maps.
 */
export class FlexibleSaganDiscriminator extends Module implements GanDiscriminator {
  /** Number of classes of a conditional discriminator; undefined for an unconditional one. */
  readonly numClasses: number | undefined;
  /** The width multiplier (the reference's `image_size`). */
  readonly width: number;
  /** Image channels. */
  readonly channels: number;
  /** Side of the scored images: 64. */
  readonly imageSize = IMAGE_SIZE;
  /** Undefined when the discriminator works at 32×32. */
  readonly layer1: Sequential | undefined;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly last: Conv2d;
  /** The projection head (state-dict name `embed`) of a conditional discriminator; undefined when unconditional. */
  readonly embed: ProjectionHead | undefined;
  /** The side the discriminator scores at after {@link FlexibleSaganDiscriminator.pool}: 64 (the reference) or 32. */
  readonly workingSize: 32 | 64;
  /** 2×2 average pooling of the 64×64 input; undefined at working size 64. */
  readonly pool: AvgPool2d | undefined;
  /** The minibatch standard deviation before `last`; undefined without the `minibatchStd` option. */
  readonly minibatchStd: MinibatchStdDev | undefined;
  /** The packing of the input images; undefined without the `pack` option. */
  readonly packing: PackSamples | undefined;
  /** The attention blocks, by the layer (1–4) they follow. */
  readonly attentions = new Map<number, AttentionModule>();

  constructor(config: SaganConfig = {}) {
    super();
    refuseLatentGap(config, WHERE);
    const c = resolveSaganConfig(config, WHERE);
    const { width: w, channels, random } = c;
    this.numClasses = c.numClasses;
    this.width = w;
    this.channels = channels;
    this.workingSize = c.workingSize;
    if (c.workingSize === 32 && c.attentionAfter.includes(1)) {
      throw new Error(`${WHERE}: option 'attentionAfter' cannot include 1 with workingSize 32 (there is no layer 1)`);
    }
    const down = (inC: number, outC: number) =>
      new Sequential(
        normalized(c.normalize, new Conv2d(inC, outC, 4, { stride: 2, padding: 1, random }), random, WHERE),
        new LeakyReLU(0.1),
      );
    const attend = (layer: number, inChannels: number) => {
      if (!c.attentionAfter.includes(layer)) return;
      const block = attentionBlock(c.attention, inChannels, random, WHERE);
      this.attentions.set(layer, this.registerModule(`self_attntion${this.attentions.size + 1}`, block));
    };

    const full = c.workingSize === 64;
    this.packing = c.pack === undefined ? undefined : this.registerModule("packing", new PackSamples({ pack: c.pack }));
    const inChannels = channels * (c.pack ?? 1);
    this.pool = full ? undefined : this.registerModule("pool", new AvgPool2d(2)); // 64×64 → 32×32
    this.layer1 = full ? this.registerModule("layer1", down(inChannels, w)) : undefined; // 64×64 → 32×32
    attend(1, w);
    this.layer2 = this.registerModule("layer2", down(full ? w : inChannels, w * 2)); // → 16×16
    attend(2, w * 2);
    this.layer3 = this.registerModule("layer3", down(w * 2, w * 4)); // → 8×8
    attend(3, w * 4);
    this.layer4 = this.registerModule("layer4", down(w * 4, w * 8)); // → 4×4
    attend(4, w * 8);
    this.minibatchStd = c.minibatchStd === undefined ? undefined : this.registerModule("minibatchStd", new MinibatchStdDev({ groupSize: c.minibatchStd }));
    const lastIn = this.minibatchStd ? w * 8 + 1 : w * 8;
    this.last = this.registerModule("last", new Conv2d(lastIn, 1, 4, { stride: 1, random })); // → 1×1
    this.embed = c.numClasses === undefined ? undefined : this.registerModule("embed", projectionHead(c.numClasses, w * 8, random));
    if (c.init === "dcgan") dcganInit(this, random);
  }

  /**
   * Scores images `[B, 64, 64, channels]`: one logit each, `[B]`, with the attention map `[B, N, N]` of each
   * attention block (N = 8·8 after layer 3, 4·4 after layer 4), unless `options.attentionMaps` is `false`. A
   * conditional discriminator needs `options.labels` (int32 `[B]` in [0, numClasses)); an unconditional one
   * ignores them.
   */
  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput {
    checkImages(images, this.imageSize, this.channels, `${WHERE}.forward`);
    const wanted = wantsMaps(options, `${WHERE}.forward`);
    const labels = this.numClasses === undefined ? undefined : checkLabels(options?.labels, images.shape[0], this.numClasses, `${WHERE}.forward`);
    return tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      const input = this.packing ? this.packing.forward(images) : images;
      let out = this.layer1
        ? attendAfter(this.attentions, 1, this.layer1.forward(input), wanted, maps)
        : (this.pool as AvgPool2d).forward(input);
      out = attendAfter(this.attentions, 2, this.layer2.forward(out), wanted, maps);
      out = attendAfter(this.attentions, 3, this.layer3.forward(out), wanted, maps);
      out = attendAfter(this.attentions, 4, this.layer4.forward(out), wanted, maps);
      const features = this.minibatchStd ? this.minibatchStd.forward(out) : out;
      const logits = projectedLogits(this.last, this.embed, out, labels, features);
      const packing = this.packing;
      if (!packing) return { logits, attentionMaps: maps };
      const batch = images.shape[0];
      return { logits: packing.unpack(logits, batch), attentionMaps: maps.map((m) => packing.unpack(m, batch)) };
    });
  }
}
