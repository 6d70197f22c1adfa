import type { TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { BatchNorm2d } from "./batch-norm2d";
import { Module } from "./module";

/**
 * Recomputes the BatchNorm running statistics of `model` for the weights it holds now ("standing statistics",
 * Brock et al. 2019, BigGAN): every {@link BatchNorm2d} in it is reset and switched to a cumulative average, then
 * `runBatch(i)` runs `batches` forward passes in training mode (inside `tf.tidy`, which also frees what it
 * returns), and each layer's momentum and the model's mode are restored. Use it after loading weights whose statistics were never measured, such as an
 * exponential moving average of a generator's weights: the statistics copied from the trained model belong to
 * other weights and make the averaged model's samples worse.
 *
 * A model that is not a `@gan/layers` {@link Module} has its normalisation layers updated by their own rule
 * (usually an exponential average), so give it enough batches to forget the old statistics.
 */
export function standingStatistics(model: TrainableModule, batches: number, runBatch: (index: number) => unknown): void {
  if (!Number.isInteger(batches) || batches < 1) throw new Error(`standingStatistics: batches must be a positive integer, got ${batches}`);
  const norms = model instanceof Module ? model.namedModules().flatMap(([, m]) => (m instanceof BatchNorm2d ? [m] : [])) : [];
  const momenta = norms.map((bn) => bn.momentum);
  const wasTraining = model.training;
  try {
    for (const bn of norms) {
      bn.resetRunningStats();
      bn.momentum = null;
    }
    model.train(true);
    // Whatever runBatch returns is dropped too: tf.tidy would keep tensors it returned.
    for (let i = 0; i < batches; i++) {
      tf.tidy(() => {
        runBatch(i);
      });
    }
  } finally {
    norms.forEach((bn, i) => {
      bn.momentum = momenta[i];
    });
    model.train(wasTraining);
  }
}
