import * as tf from "@tensorflow/tfjs-core";
import type { GanLoss } from "@gan/spec";
import { bceWithLogits } from "./bce-with-logits";
import { checkLogits } from "./check-logits";

/** Which generator objective {@link bceLoss} uses. */
export type BceGeneratorObjective = "non-saturating" | "minimax";

/** Options for {@link bceLoss}. */
export interface BceLossOptions {
  /**
   * `"non-saturating"` (default, the DCGAN reference): G minimises `BCE(D(G(z)), 1) = −log σ(D(G(z)))`.
   * `"minimax"`: G minimises `−BCE(D(G(z)), 0) = log(1 − σ(D(G(z))))`, the original GAN game, whose gradient
   * vanishes while D wins.
   */
  generator?: BceGeneratorObjective;
}

/** The {@link GanLoss} returned by {@link bceLoss}. */
export interface BceLoss extends GanLoss {
  /** `"bce"` (non-saturating generator) or `"bce-minimax"`. */
  readonly name: "bce" | "bce-minimax";
  /** The generator objective in use. */
  readonly generator: BceGeneratorObjective;
}

/**
 * The standard GAN loss with `BCEWithLogitsLoss` (means over the batch), as the DCGAN reference:
 * D minimises `BCE(real, 1) + BCE(fake, 0)`; G minimises `BCE(fake, 1)` (non-saturating, default) or
 * `−BCE(fake, 0)` (minimax). Numerically stable for saturated logits.
 */
export function bceLoss(options: BceLossOptions = {}): BceLoss {
  const generator = options.generator ?? "non-saturating";
  if (generator !== "non-saturating" && generator !== "minimax") {
    throw new Error(`bceLoss: option 'generator' must be "non-saturating" or "minimax", got ${JSON.stringify(generator)}`);
  }
  return {
    name: generator === "minimax" ? "bce-minimax" : "bce",
    generator,
    discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
      checkLogits(realLogits, "bceLoss.discriminatorLoss", "realLogits");
      checkLogits(fakeLogits, "bceLoss.discriminatorLoss", "fakeLogits");
      return tf.tidy(() => tf.add<tf.Scalar>(tf.mean(bceWithLogits(realLogits, 1)), tf.mean(bceWithLogits(fakeLogits, 0))));
    },
    generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
      checkLogits(fakeLogits, "bceLoss.generatorLoss", "fakeLogits");
      return tf.tidy(() =>
        generator === "minimax"
          ? tf.neg(tf.mean<tf.Scalar>(bceWithLogits(fakeLogits, 0)))
          : tf.mean<tf.Scalar>(bceWithLogits(fakeLogits, 1)),
      );
    },
  };
}
