import { type ConditionalConfig, type GeneratorConfig, type LatentGap, checkLabels, latentGrid, resolveLatentGap } from "@gan/layers";
import type { ForwardOptions, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { DcganGenerator } from "./generator";

const WHERE = "LatentGapDcganGenerator";

/**
 * The reference DCGAN generator behind a latent prior with separate modes: `latentGap` ({@link LatentGap}, no
 * parameters) moves the codes first, then the unchanged reference layers run. The state dict equals
 * {@link DcganGenerator}'s, and for the same seed so do the weights. `latentGap` absent takes `{}` (one split
 * coordinate, gap 2, scale 0.5). With `numClasses`, conditional as {@link DcganGenerator} (labels in `forward`'s
 * options).
 */
export class LatentGapDcganGenerator extends DcganGenerator {
  /** The latent prior's separate modes ({@link GeneratorConfig.latentGap}). */
  readonly latentGap: LatentGap;

  constructor(config: GeneratorConfig & ConditionalConfig = {}) {
    const { latentGap, ...reference } = config;
    super(reference);
    this.latentGap = this.registerModule("latentGap", resolveLatentGap(latentGap ?? {}, this.zDim, WHERE) as LatentGap);
  }

  /** Moves the codes `[B, zDim]` or `[B, 1, 1, zDim]` into their modes, then generates images `[B, 64, 64, channels]`. */
  override forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput {
    const images = tf.tidy(() => {
      const grid = latentGrid(z, this.zDim, `${WHERE}.forward`);
      if (this.numClasses !== undefined) checkLabels(options?.labels, grid.shape[0], this.numClasses, `${WHERE}.forward`);
      return super.forward(this.latentGap.forward(grid), options).images;
    });
    return { images, attentionMaps: [] };
  }
}
