import type * as tf from "@tensorflow/tfjs-core";
import { type TrainingPosition, jsonCopy } from "./checkpoint/training-state";
import { type DataBatch, type DataSource, batchImages } from "./data-source";
import { ExplodingLossError, NonFiniteLossError } from "./errors";
import type { StepValues } from "./gan-iteration";
import { type EpochMetrics, type StepMetrics, addStep, emptyEpochTotals, epochMetrics } from "./metrics";

/** How {@link GanTrainer.fit} ended (a failure rejects instead). */
export interface TrainResult {
  /** `"completed"` (all epochs ran) or `"aborted"` (stopped by the signal or `stop()`). */
  status: "completed" | "aborted";
  /** Iterations completed in the whole run. */
  step: number;
  /** Epochs completed. */
  epochsCompleted: number;
  /** The last epoch's averages, when an epoch ended in this call. */
  lastEpoch?: EpochMetrics;
}

/** What the loop drives: the data, the position it advances, one iteration, and the hooks it calls. */
export interface LoopHost {
  readonly data: DataSource;
  /** Real batches per iteration. */
  readonly dSteps: number;
  /** Advanced in place after every step and epoch. */
  readonly position: TrainingPosition;
  /** One iteration on these batches (images, with labels for conditional models). */
  trainStep(batches: DataBatch[]): Promise<StepValues>;
  shouldStop(): boolean;
  /** The largest absolute loss a step may have (`Infinity`: no limit). */
  readonly maxLoss: number;
  /** The learning rates, for the divergence errors' advice. */
  readonly learningRates: { gLr: number; dLr: number };
  /** Where the newest checkpoint is, for the divergence errors. */
  lastCheckpoint(): Promise<string | undefined>;
  onBatchEnd(metrics: StepMetrics, realImages: tf.Tensor4D): Promise<void>;
  /** After an epoch; the position has moved on to the next, `ended` says where the epoch ended. */
  onEpochEnd(metrics: EpochMetrics, ended: { epoch: number; batchInEpoch: number }): Promise<void>;
}

/**
 * Runs epochs until `epochs` have run or a stop is requested. Resolves with the last epoch's metrics that
 * ended in this call, if any.
 */
export async function runEpochs(host: LoopHost, epochs: number): Promise<EpochMetrics | undefined> {
  let last: EpochMetrics | undefined;
  while (host.position.epoch < epochs && !host.shouldStop()) {
    const ended = await runEpoch(host);
    if (!ended) break;
    last = ended;
  }
  return last;
}

/**
 * Runs the rest of the current epoch: a resumed position skips the batches already consumed (or asks the
 * source for the rest with `epochFrom`). Returns the epoch's metrics, or undefined when a stop ended it early.
 */
export async function runEpoch(host: LoopHost): Promise<EpochMetrics | undefined> {
  const { data, position } = host;
  const epoch = position.epoch;
  const skipping = position.batchInEpoch > 0 && !data.epochFrom;
  const iterable = position.batchInEpoch > 0 && data.epochFrom ? data.epochFrom(epoch, position.batchInEpoch) : data.epoch(epoch);
  const iterator = iterable[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    for (let i = 0; skipping && i < position.batchInEpoch; i++) {
      const skipped = await iterator.next();
      if (skipped.done) {
        exhausted = true;
        break;
      }
      batchImages(skipped.value).dispose();
    }
    while (!exhausted) {
      const t0 = performance.now();
      const batches: DataBatch[] = [];
      while (batches.length < host.dSteps) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        batches.push(next.value);
      }
      if (batches.length === 0) break;
      try {
        await runStep(host, epoch, batches, performance.now() - t0);
      } finally {
        for (const b of batches) batchImages(b).dispose();
      }
      if (host.shouldStop()) return undefined;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
  const metrics = epochMetrics(epoch, position.step, position.totals);
  const batchInEpoch = position.batchInEpoch;
  position.epoch = epoch + 1;
  position.batchInEpoch = 0;
  position.totals = emptyEpochTotals();
  position.epochStartDataState = jsonCopy(data.getState?.());
  await host.onEpochEnd(metrics, { epoch, batchInEpoch });
  return metrics;
}

/** One iteration with its bookkeeping: non-finite and exploding loss checks, counters, metrics, `onBatchEnd`. */
async function runStep(host: LoopHost, epoch: number, batches: DataBatch[], dataMs: number): Promise<void> {
  const { position, data } = host;
  const t0 = performance.now();
  const values = await host.trainStep(batches);
  const stepMs = performance.now() - t0;
  const batch = position.batchInEpoch + batches.length;
  const finite = Number.isFinite(values.dLoss) && Number.isFinite(values.gLoss);
  if (!finite || Math.abs(values.dLoss) > host.maxLoss || Math.abs(values.gLoss) > host.maxLoss) {
    const details = {
      step: position.step + 1,
      epoch,
      batch,
      batchesPerEpoch: data.batchesPerEpoch,
      dLoss: values.dLoss,
      gLoss: values.gLoss,
      ...host.learningRates,
      lastCheckpoint: await host.lastCheckpoint(),
    };
    throw finite ? new ExplodingLossError({ ...details, maxLoss: host.maxLoss }) : new NonFiniteLossError(details);
  }
  position.batchInEpoch = batch;
  position.step += 1;
  const images = batches.reduce((n, b) => n + batchImages(b).shape[0], 0);
  const metrics: StepMetrics = {
    type: "step",
    epoch,
    step: position.step,
    batch,
    ...(data.batchesPerEpoch !== undefined ? { batchesPerEpoch: data.batchesPerEpoch } : {}),
    images,
    ...values,
    stepMs,
    dataMs,
    imagesPerSec: (images * 1000) / Math.max(1e-9, stepMs + dataMs),
    time: new Date().toISOString(),
  };
  addStep(position.totals, metrics);
  await host.onBatchEnd(metrics, batchImages(batches[batches.length - 1]));
}
