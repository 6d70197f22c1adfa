import type { GanLoss } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { checkLogits } from "./check-logits";

/** Options of {@link withLeCam}. */
export interface LeCamOptions {
  /** λ, the regulariser's weight (default 0.3, the paper's for BigGAN on CIFAR with DiffAugment). */
  weight?: number;
  /** Decay of the moving averages of D's mean logits, in [0, 1) (default 0.99, the paper's). */
  decay?: number;
}

/** What a checkpoint keeps of {@link withLeCam}: the two moving averages and how many losses updated them. */
export interface LeCamState {
  realLogitEma: number;
  fakeLogitEma: number;
  updates: number;
}

/** The {@link GanLoss} returned by {@link withLeCam}. */
export interface LeCamLoss extends GanLoss {
  /** The loss it regularises. */
  readonly base: GanLoss;
  readonly weight: number;
  readonly decay: number;
  /** The moving averages, for checkpoints. */
  getState(): LeCamState;
  /** Restores {@link LeCamLoss.getState}'s result. */
  setState(state: LeCamState): void;
  /** Frees the moving averages (two numbers held as a tensor). */
  dispose(): void;
}

/**
 * LeCam regularisation (Tseng et al., CVPR 2021, "Regularizing Generative Adversarial Networks under Limited
 * Data"): the discriminator's loss gains `λ · (mean(relu(D(x) − α_fake)²) + mean(relu(α_real − D(G(z)))²))`,
 * where `α_real` and `α_fake` are moving averages of D's mean logit on real and on generated samples. It keeps
 * D's scores of the two from drifting apart, which on small data sets is how D starts to memorise them.
 *
 * As the paper's code, each call of `discriminatorLoss` first folds the batch's mean logits into the averages
 * and then uses them as constants. The first call sets them (the paper's code keeps them equal to the current
 * values for its first 1,000 iterations). The generator's loss is the base loss's. The name
 * stays the base loss's; the averages are state ({@link LeCamLoss.getState}) that a trainer checkpoints. They stay
 * on the backend as a tensor, so a training step never waits to read them.
 */
export function withLeCam(base: GanLoss, options: LeCamOptions = {}): LeCamLoss {
  const weight = options.weight ?? 0.3;
  const decay = options.decay ?? 0.99;
  if (!Number.isFinite(weight) || weight < 0) throw new Error(`withLeCam: option 'weight' must be a number ≥ 0, got ${options.weight}`);
  if (!(decay >= 0 && decay < 1)) throw new Error(`withLeCam: option 'decay' must be a number in [0, 1), got ${options.decay}`);
  // [α_real, α_fake], kept on the backend so that a step never waits to read them back.
  const averages = tf.variable(tf.zeros([2]), false);
  let updates = 0;
  return {
    name: base.name,
    base,
    weight,
    decay,
    discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
      checkLogits(realLogits, "withLeCam.discriminatorLoss", "realLogits");
      checkLogits(fakeLogits, "withLeCam.discriminatorLoss", "fakeLogits");
      return tf.tidy(() => {
        const means = tf.stack([tf.mean(realLogits), tf.mean(fakeLogits)]);
        // Assigning is invisible to the gradient tape: the averages enter the regulariser as constants.
        averages.assign(updates === 0 ? means : tf.add(tf.mul(averages, decay), tf.mul(means, 1 - decay)));
        updates++;
        const reg = tf.add(
          tf.mean(tf.square(tf.relu(tf.sub(realLogits, tf.slice(averages, 1, 1))))),
          tf.mean(tf.square(tf.relu(tf.sub(tf.slice(averages, 0, 1), fakeLogits)))),
        );
        return tf.add<tf.Scalar>(base.discriminatorLoss(realLogits, fakeLogits), tf.mul(reg, weight));
      });
    },
    generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
      return base.generatorLoss(fakeLogits);
    },
    getState(): LeCamState {
      const [realLogitEma, fakeLogitEma] = averages.dataSync();
      return { realLogitEma, fakeLogitEma, updates };
    },
    setState(next: LeCamState): void {
      const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v);
      if (!next || !ok(next.realLogitEma) || !ok(next.fakeLogitEma) || !Number.isInteger(next.updates) || next.updates < 0) {
        throw new Error(`withLeCam.setState: expected { realLogitEma, fakeLogitEma, updates }, got ${JSON.stringify(next)}`);
      }
      tf.tidy(() => averages.assign(tf.tensor1d([next.realLogitEma, next.fakeLogitEma])));
      updates = next.updates;
    },
    dispose(): void {
      averages.dispose();
    },
  };
}
