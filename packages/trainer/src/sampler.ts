import { Random } from "@gan/layers";
import type { GanGenerator, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/**
 * The run's fixed noise `[size, zDim]`, drawn once from `seed` on a stream of its own (so it neither shifts
 * nor depends on the training draws): sample grids show the same latent codes at every epoch.
 */
export class FixedNoise {
  private z: tf.Tensor2D | undefined;

  constructor(
    seed: number,
    readonly size: number,
    zDim: number,
  ) {
    this.z = new Random((seed ^ 0x5eed5a3f) >>> 0).normal([size, zDim]) as tf.Tensor2D;
  }

  /** The first `count` rows (a new tensor the caller disposes). */
  take(count: number): tf.Tensor2D {
    if (!Number.isInteger(count) || count < 1 || count > this.size) {
      throw new Error(`fixedNoise: count must be an integer in [1, ${this.size}] (the trainer's fixedNoiseSize), got ${count}`);
    }
    if (!this.z) throw new Error("fixedNoise: the trainer has been disposed");
    return tf.slice(this.z, [0, 0], [count, -1]);
  }

  dispose(): void {
    this.z?.dispose();
    this.z = undefined;
  }
}

/**
 * Fixed labels for `count` images of a model conditional on `numClasses` classes, int32 `[count]`: image `i` gets
 * class `i mod numClasses`, or with `columns` class `floor(i / columns) mod numClasses`, so that a grid of `columns`
 * columns shows one class per row. No randomness. The caller disposes the tensor.
 */
export function fixedLabels(count: number, numClasses: number, columns?: number): tf.Tensor1D {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`fixedLabels: numClasses must be a positive integer, got ${numClasses}`);
  if (columns !== undefined && !(Number.isInteger(columns) && columns >= 1)) throw new Error(`fixedLabels: columns must be a positive integer, got ${columns}`);
  return tf.tensor1d(
    Int32Array.from({ length: count }, (_, i) => (columns === undefined ? i : Math.floor(i / columns)) % numClasses),
    "int32",
  );
}

/**
 * Runs `generator` in evaluation mode on `z` (BatchNorm uses its running statistics, nothing updates) and
 * restores its mode afterwards; `labels` go to a conditional generator's forward. The caller disposes the output.
 */
export function generateInEvalMode(generator: GanGenerator, z: tf.Tensor, labels?: tf.Tensor1D): GeneratorOutput {
  const wasTraining = generator.training;
  generator.eval();
  try {
    return tf.tidy(() => generator.forward(z, labels === undefined ? undefined : { labels }) as unknown as tf.TensorContainerObject) as unknown as GeneratorOutput;
  } finally {
    generator.train(wasTraining);
  }
}
