import {
  BatchNorm2d,
  ConvTranspose2d,
  IMAGE_SIZE,
  type ModelConfig,
  Module,
  type Random,
  ReLU,
  Sequential,
  Tanh,
  dcganInit,
  latentGrid,
  resolveModelConfig,
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
 */
export class DcganGenerator extends Module implements GanGenerator {
  readonly zDim: number;
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

  constructor(config: ModelConfig = {}) {
    super();
    if ((config as { latentGap?: unknown }).latentGap !== undefined) {
      throw new Error("DcganGenerator: option 'latentGap' belongs to LatentGapDcganGenerator (or use createGenerator)");
    }
    const { zDim, width: w, channels, init, random } = resolveModelConfig(config, "DcganGenerator", ["latentGap"]);
    this.zDim = zDim;
    this.width = w;
    this.channels = channels;

    this.layer1 = this.registerModule("layer1", upBlock(zDim, w * 8, 1, 0, random)); // 1×1 → 4×4
    this.layer2 = this.registerModule("layer2", upBlock(w * 8, w * 4, 2, 1, random)); // → 8×8
    this.layer3 = this.registerModule("layer3", upBlock(w * 4, w * 2, 2, 1, random)); // → 16×16
    this.layer4 = this.registerModule("layer4", upBlock(w * 2, w, 2, 1, random)); // → 32×32
    this.last = this.registerModule(
      "last",
      new Sequential(new ConvTranspose2d(w, channels, 4, { stride: 2, padding: 1, random }), new Tanh()), // → 64×64
    );
    if (init === "dcgan") dcganInit(this, random);
  }

  /** Generates images `[B, 64, 64, channels]` from latent codes `[B, zDim]` or `[B, 1, 1, zDim]` (no attention maps). */
  forward(z: tf.Tensor, _options?: ForwardOptions): GeneratorOutput {
    const images = tf.tidy(() => {
      let out = latentGrid(z, this.zDim, "DcganGenerator.forward");
      out = this.layer1.forward(out);
      out = this.layer2.forward(out);
      out = this.layer3.forward(out);
      out = this.layer4.forward(out);
      return this.last.forward(out);
    });
    return { images, attentionMaps: [] };
  }
}

function upBlock(inC: number, outC: number, stride: number, padding: number, random: Random): Sequential {
  return new Sequential(new ConvTranspose2d(inC, outC, 4, { stride, padding, random }), new BatchNorm2d(outC), new ReLU());
}
