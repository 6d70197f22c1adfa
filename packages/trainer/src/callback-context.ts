import type { GanDiscriminator, GanGenerator, GanLoss, GeneratorOutput } from "@gan/spec";
import type * as tf from "@tensorflow/tfjs-core";
import type { TrainerContext } from "./callback";
import type { CheckpointStore } from "./checkpoint/checkpoint-store";
import { type DataSource, stepsPerEpoch } from "./data-source";
import type { ResolvedTrainerOptions } from "./options";

/** What a {@link TrainerContext} is built from: the trainer, seen through the parts callbacks may use. */
export interface ContextSource {
  readonly generator: GanGenerator;
  readonly discriminator: GanDiscriminator;
  readonly loss: GanLoss;
  readonly data: DataSource;
  readonly options: ResolvedTrainerOptions;
  readonly runDir: string | undefined;
  readonly store: CheckpointStore | undefined;
  readonly numClasses: number | undefined;
  fixedNoise(count: number): tf.Tensor2D;
  fixedLabels(count: number, columns?: number): tf.Tensor1D | undefined;
  generate(z: tf.Tensor, labels?: tf.Tensor1D): GeneratorOutput;
  stop(): void;
  saveCheckpoint(options: { keep?: number }): Promise<string>;
}

/** A snapshot of the run for a callback hook: counters copied now, actions bound to `source`. */
export function callbackContext(
  source: ContextSource,
  at: { epoch: number; batchInEpoch: number; step: number },
  run: { startStep: number; resumed: boolean; lastCheckpointStep: number },
): TrainerContext {
  const batchesPerEpoch = source.data.batchesPerEpoch;
  const steps = stepsPerEpoch(batchesPerEpoch, source.options.dSteps);
  return {
    generator: source.generator,
    discriminator: source.discriminator,
    lossName: source.loss.name,
    runDir: source.runDir,
    epoch: at.epoch,
    epochs: source.options.epochs,
    step: at.step,
    batchInEpoch: at.batchInEpoch,
    batchesPerEpoch,
    stepsPerEpoch: steps,
    totalSteps: steps === undefined ? undefined : steps * source.options.epochs,
    ...run,
    canCheckpoint: source.store !== undefined,
    numClasses: source.numClasses,
    fixedNoise: (count) => source.fixedNoise(count),
    fixedLabels: (count, columns) => source.fixedLabels(count, columns),
    generate: (z, labels) => source.generate(z, labels),
    stop: () => source.stop(),
    saveCheckpoint: (options) => source.saveCheckpoint({ keep: options?.keep }),
  };
}
