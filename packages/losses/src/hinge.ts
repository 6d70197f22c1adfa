import * as tf from "@tensorflow/tfjs-core";
import type { GanLoss } from "@gan/spec";
import { checkLogits } from "./check-logits";

/** The {@link GanLoss} returned by {@link hingeLoss}. */
export interface HingeLoss extends GanLoss {
  readonly name: "hinge";
}

/**
 * The hinge version of the adversarial loss, as the SAGAN reference:
 * D minimises `mean(relu(1 − real)) + mean(relu(1 + fake))`; G minimises `−mean(fake)`.
 */
export function hingeLoss(): HingeLoss {
  return {
    name: "hinge",
    discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
      checkLogits(realLogits, "hingeLoss.discriminatorLoss", "realLogits");
      checkLogits(fakeLogits, "hingeLoss.discriminatorLoss", "fakeLogits");
      return tf.tidy(() =>
        tf.add<tf.Scalar>(tf.mean(tf.relu(tf.sub(1, realLogits))), tf.mean(tf.relu(tf.add(1, fakeLogits)))),
      );
    },
    generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
      checkLogits(fakeLogits, "hingeLoss.generatorLoss", "fakeLogits");
      return tf.tidy(() => tf.neg(tf.mean<tf.Scalar>(fakeLogits)));
    },
  };
}
