import type { Random } from "@gan/layers";
import type { GanDiscriminator, GanGenerator, GanLoss } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { applyOrderedGradients } from "./adam";
import { leanVariableGrads } from "./lean-variable-grads";
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

/**
 * The number of classes the step conditions on: the generator's `numClasses`, else the discriminator's; undefined
 * when both are unconditional.
 */
export function conditionalClasses(parts: Pick<StepParts, "generator" | "discriminator">): number | undefined {
  return parts.generator.numClasses ?? parts.discriminator.numClasses;
}

/**
 * Class labels for `count` fakes, uniform over [0, numClasses), int32 `[count]`: one draw of `random` (one derived
 * seed), so the stream, saved in checkpoints, resumes exactly. The caller disposes the tensor.
 */
export function drawLabels(random: Random, count: number, numClasses: number): tf.Tensor1D {
  // An int32 buffer truncates U[0, K) to an integer in [0, K) (tfjs's sampler is plain JavaScript: the same on every backend).
  return tf.randomUniform([count], 0, numClasses, "int32", random.nextSeed()) as tf.Tensor1D;
}

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
 *
 * Class-conditional models ({@link conditionalClasses}) need `realLabels` (int32 `[B]`, the real images' classes):
 * the fakes' labels are drawn uniformly from [0, numClasses) right after `z` (with `parts.random`), G draws each
 * fake of its label's class and D scores the real batch with `realLabels` and the fakes with theirs. An
 * unconditional step draws nothing more and passes no labels.
 */
export function discriminatorStep(parts: StepParts, real: tf.Tensor4D, realLabels?: tf.Tensor1D): DiscriminatorStepResult {
  const { generator, discriminator, loss, dVars, scores } = parts;
  const numClasses = conditionalClasses(parts);
  if (numClasses !== undefined && realLabels === undefined) {
    throw new Error(`discriminatorStep: the model is conditional on ${numClasses} classes; the real batch needs its labels`);
  }
  let fakeLabels: tf.Tensor1D | undefined;
  const fake = tf.tidy(() => {
    const z = parts.random.normal([real.shape[0], generator.zDim]);
    if (numClasses !== undefined) fakeLabels = tf.keep(drawLabels(parts.random, real.shape[0], numClasses));
    return generator.forward(z, withLabels(fakeLabels)).images;
  });
  let realScore: tf.Scalar | undefined;
  let fakeScore: tf.Scalar | undefined;
  try {
    const { value, grads } = leanVariableGrads(() => {
      const realLogits = discriminator.forward(real, withLabels(realLabels)).logits;
      const fakeLogits = discriminator.forward(fake, withLabels(fakeLabels)).logits;
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
    fakeLabels?.dispose();
  }
}

/** The step's forward options: no attention maps, and the labels of a conditional step. */
function withLabels(labels: tf.Tensor1D | undefined) {
  return labels === undefined ? NO_MAPS : { ...NO_MAPS, labels };
}

/**
 * One generator update, as the reference: fresh `z` of shape `[batchSize, zDim]`, D (in training mode) scores
 * `G(z)`, the loss's `generatorLoss`, and Adam on G's variables only. D's parameters are untouched (its
 * spectral-norm vectors advance, as in the reference, where D runs in training mode here too). Without
 * attention maps, as {@link discriminatorStep}. A conditional step draws the fakes' labels uniformly right after
 * `z` and passes them to G and D alike.
 */
export function generatorStep(parts: StepParts, batchSize: number): GeneratorStepResult {
  const { generator, discriminator, loss, gVars, scores } = parts;
  const numClasses = conditionalClasses(parts);
  const z = parts.random.normal([batchSize, generator.zDim]);
  const labels = numClasses === undefined ? undefined : drawLabels(parts.random, batchSize, numClasses);
  const options = withLabels(labels);
  let fakeScore: tf.Scalar | undefined;
  try {
    const { value, grads } = leanVariableGrads(() => {
      const fakeLogits = discriminator.forward(generator.forward(z, options).images, options).logits;
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
    labels?.dispose();
  }
}
