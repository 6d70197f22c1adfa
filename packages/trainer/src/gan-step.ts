import type { Random } from "@gan/layers";
import type { GanDiscriminator, GanGenerator, GanLoss } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { applyOrderedGradients } from "./adam";
import type { ScoreKind } from "./options";

/** What the step functions need: the models, their trainable variables, optimizers, loss and RNG. */
export interface StepParts {
  generator: GanGenerator;
  discriminator: GanDiscriminator;
  gVars: readonly tf.Variable[];
  dVars: readonly tf.Variable[];
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
  loss: GanLoss;
  random: Random;
  scores: ScoreKind;
}

/** Scalars of one D step, owned by the caller. */
export interface DiscriminatorStepResult {
  loss: tf.Scalar;
  realScore: tf.Scalar;
  fakeScore: tf.Scalar;
}

/** Scalars of one G step, owned by the caller. */
export interface GeneratorStepResult {
  loss: tf.Scalar;
  fakeScore: tf.Scalar;
}

/** Steps never read attention maps, so attention layers may skip them (and run fused kernels). */
const NO_MAPS = { attentionMaps: false } as const;

/** Mean D score: `mean(sigmoid(logits))` or `mean(logits)`. */
function meanScore(logits: tf.Tensor, kind: ScoreKind): tf.Scalar {
  return tf.mean(kind === "sigmoid" ? tf.sigmoid(logits) : logits);
}

/**
 * One discriminator update, as the reference: fresh `z ~ N(0, 1)` of shape `[B, zDim]` (B = the real batch's
 * size), fakes from the generator in its current (training) mode but outside the gradient computation, D
 * scored on the real batch and then on the fakes (two forwards, as the reference), the loss's
 * `discriminatorLoss`, and Adam on D's variables only. G's parameters are untouched; its BatchNorm running
 * statistics move, because G runs in training mode as in the reference. Every forward passes
 * `{ attentionMaps: false }`: nobody looks at attention maps during a step, so attention layers may skip them
 * (and run fused kernels).
 */
export function discriminatorStep(parts: StepParts, real: tf.Tensor4D): DiscriminatorStepResult {
  const { generator, discriminator, loss, dVars, scores } = parts;
  const fake = tf.tidy(() => {
    const z = parts.random.normal([real.shape[0], generator.zDim]);
    return generator.forward(z, NO_MAPS).images;
  });
  let realScore: tf.Scalar | undefined;
  let fakeScore: tf.Scalar | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const realLogits = discriminator.forward(real, NO_MAPS).logits;
      const fakeLogits = discriminator.forward(fake, NO_MAPS).logits;
      realScore = tf.keep(meanScore(realLogits, scores));
      fakeScore = tf.keep(meanScore(fakeLogits, scores));
      return loss.discriminatorLoss(realLogits, fakeLogits);
    }, dVars as tf.Variable[]);
    applyOrderedGradients(parts.dOptimizer, dVars, grads);
    tf.dispose(grads);
    return { loss: value, realScore: realScore!, fakeScore: fakeScore! };
  } catch (e) {
    tf.dispose([realScore, fakeScore].filter((t): t is tf.Scalar => t !== undefined));
    throw e;
  } finally {
    fake.dispose();
  }
}

/**
 * One generator update, as the reference: fresh `z` of shape `[batchSize, zDim]`, D (in training mode) scores
 * `G(z)`, the loss's `generatorLoss`, and Adam on G's variables only. D's parameters are untouched (its
 * spectral-norm vectors advance, as in the reference, where D runs in training mode here too). Without
 * attention maps, as {@link discriminatorStep}.
 */
export function generatorStep(parts: StepParts, batchSize: number): GeneratorStepResult {
  const { generator, discriminator, loss, gVars, scores } = parts;
  const z = parts.random.normal([batchSize, generator.zDim]);
  let fakeScore: tf.Scalar | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const fakeLogits = discriminator.forward(generator.forward(z, NO_MAPS).images, NO_MAPS).logits;
      fakeScore = tf.keep(meanScore(fakeLogits, scores));
      return loss.generatorLoss(fakeLogits);
    }, gVars as tf.Variable[]);
    applyOrderedGradients(parts.gOptimizer, gVars, grads);
    tf.dispose(grads);
    return { loss: value, fakeScore: fakeScore! };
  } catch (e) {
    fakeScore?.dispose();
    throw e;
  } finally {
    z.dispose();
  }
}
