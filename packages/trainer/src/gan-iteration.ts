import * as tf from "@tensorflow/tfjs-core";
import { type DiscriminatorStepResult, type StepParts, conditionalClasses, discriminatorStep, generatorStep } from "./gan-step";

/** A real batch for {@link ganIteration}: images, with their class labels (int32 `[B]`) for conditional models. */
export interface RealBatch {
  images: tf.Tensor4D;
  labels?: tf.Tensor1D;
}

/** The loss values and D scores of one iteration. */
export interface StepValues {
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
  dFakeG: number;
}

/**
 * One iteration: a D step on each real batch (the caller keeps ownership of them), then one G step sized like
 * the last batch. Returns the mean D loss and scores over the D steps, and the G step's loss and score. For a
 * class-conditional model every batch is a {@link RealBatch} with `labels`.
 */
export async function ganIteration(parts: StepParts, realBatches: tf.Tensor4D | RealBatch | readonly (tf.Tensor4D | RealBatch)[]): Promise<StepValues> {
  const given = Array.isArray(realBatches) ? (realBatches as readonly (tf.Tensor4D | RealBatch)[]) : [realBatches as tf.Tensor4D | RealBatch];
  const batches = given.map((b): RealBatch => (b instanceof tf.Tensor ? { images: b as tf.Tensor4D } : b));
  if (batches.length === 0) throw new Error("trainStep: no real batch");
  for (const b of batches) {
    if (b.images.rank !== 4) throw new Error(`trainStep: real batches must be [B, H, W, C], got [${b.images.shape}]`);
  }
  const numClasses = conditionalClasses(parts);
  if (numClasses !== undefined && batches.some((b) => b.labels === undefined)) {
    throw new Error(`trainStep: the model is conditional on ${numClasses} classes, so every real batch needs labels ({ images, labels })`);
  }
  const scalars: tf.Tensor[] = [];
  try {
    const d: DiscriminatorStepResult[] = [];
    for (const real of batches) {
      const r = discriminatorStep(parts, real.images, numClasses === undefined ? undefined : real.labels);
      scalars.push(r.loss, r.realScore, r.fakeScore);
      d.push(r);
    }
    const g = generatorStep(parts, batches[batches.length - 1].images.shape[0]);
    scalars.push(g.loss, g.fakeScore);
    const packed = tf.tidy(() =>
      tf.stack([
        tf.mean(tf.stack(d.map((r) => r.loss))),
        g.loss,
        tf.mean(tf.stack(d.map((r) => r.realScore))),
        tf.mean(tf.stack(d.map((r) => r.fakeScore))),
        g.fakeScore,
      ]),
    );
    const values = await packed.data();
    packed.dispose();
    return { dLoss: values[0], gLoss: values[1], dReal: values[2], dFake: values[3], dFakeG: values[4] };
  } finally {
    tf.dispose(scalars);
  }
}
