import { decodeSafetensors, encodeSafetensorsAsync, Random, standingStatistics } from "@gan/layers";
import type { GanGenerator, TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { CheckpointFileMap, TrainerCallback, TrainerContext } from "../callback";
import { ModelEma, type ModelEmaOptions } from "../ema";

/** File of the averaged generator inside a checkpoint folder. */
export const EMA_GENERATOR_FILE = "generator-ema.safetensors";

/** Options of {@link generatorEma}. */
export interface GeneratorEmaOptions extends Omit<ModelEmaOptions, "recomputeBuffers"> {
  /**
   * BatchNorm statistics of the averaged generator: measured for its own weights over `batches` batches of
   * `batchSize` latent codes `N(0, 1)` drawn from `Random(seed)` ("standing statistics", as BigGAN samples its
   * EMA generator), each time the average is read after new updates (default `{ batches: 10, batchSize: 64,
   * seed: 0 }`); `false` copies the trained generator's statistics, which belong to other weights.
   */
  standingStatistics?: { batches?: number; batchSize?: number; seed?: number } | false;
}

/**
 * The averaging updates a checkpoint's average had folded in, from its metadata: `averagingUpdates` where it is
 * recorded, else (files written before the warm-up) the steps from `startStep` (at least 1) to its `step`.
 */
function recordedAveragingUpdates(metadata: Record<string, string>, startStep: number, step: number): number {
  const recorded = Number(metadata.averagingUpdates);
  if (metadata.averagingUpdates !== undefined && Number.isSafeInteger(recorded) && recorded >= 0) return recorded;
  return Math.max(0, step - Math.max(startStep, 1) + 1);
}

/** The EMA callback, with access to the running average for sampling and evaluation. */
export interface GeneratorEmaCallback extends TrainerCallback {
  /** The average (undefined before training starts). */
  readonly ema: ModelEma | undefined;
}

/**
 * Keeps an exponential moving average of the generator's weights (see {@link ModelEma}), updated after every
 * step, and adds it as `generator-ema.safetensors` (the generator's state-dict names, loadable into the same
 * model) to every checkpoint the trainer writes, through {@link TrainerCallback.state}: the file is written in
 * the same atomic step as the rest of the checkpoint, so a checkpoint never lacks it. A resumed run gets the
 * file back through {@link TrainerCallback.restore} and reloads the average from it (a checkpoint without the
 * file starts the average from the resumed weights).
 *
 * Its place in the callback list does not matter: a checkpoint saved before this callback's `onBatchEnd` of the
 * same step folds that step in first. Hand `callback.ema` to `evalCallback({ ema })` or
 * `sampleImages({ ema })`, or call `ema.apply(() => …)` to sample with the averaged weights.
 */
export function generatorEma(options: GeneratorEmaOptions = {}): GeneratorEmaCallback {
  const standing = options.standingStatistics === false ? undefined : { batches: 10, batchSize: 64, seed: 0, ...options.standingStatistics };
  if (standing && !(Number.isInteger(standing.batchSize) && standing.batchSize >= 2)) {
    throw new Error(`generatorEma: standingStatistics.batchSize must be an integer ≥ 2, got ${standing.batchSize}`);
  }
  if (standing && !(Number.isInteger(standing.batches) && standing.batches >= 1)) {
    throw new Error(`generatorEma: standingStatistics.batches must be a positive integer, got ${standing.batches}`);
  }
  const recompute = standing
    ? (model: TrainableModule) => {
        const generator = model as GanGenerator;
        const random = new Random(standing.seed);
        const k = generator.numClasses;
        // A conditional generator's statistics over codes of every class: labels uniform, from the same stream after each z.
        standingStatistics(generator, standing.batches, () => {
          const z = random.normal([standing.batchSize, generator.zDim]);
          if (k === undefined) return generator.forward(z);
          const labels = tf.randomUniform([standing.batchSize], 0, k, "int32", random.nextSeed()) as tf.Tensor1D;
          return generator.forward(z, { labels });
        });
      }
    : undefined;
  let ema: ModelEma | undefined;
  /** The averaged weights handed back by `restore()`, loaded when training starts. */
  let restored: Uint8Array | undefined;
  /** The step the average has folded in last (-1: none yet). */
  let updatedStep = -1;

  const catchUp = (step: number) => {
    if (!ema || step <= updatedStep) return;
    ema.update(step);
    updatedStep = step;
  };

  return {
    name: "ema",
    get ema() {
      return ema;
    },
    onTrainStart(ctx) {
      ema?.dispose();
      ema = new ModelEma(ctx.generator, { decay: options.decay, startStep: options.startStep, warmup: options.warmup, recomputeBuffers: recompute });
      // The average starts as a copy of the weights the run starts from (the resumed ones, when resuming).
      updatedStep = ctx.step;
      if (ctx.resumed && restored) {
        const { tensors, metadata } = decodeSafetensors(restored, EMA_GENERATOR_FILE);
        try {
          ema.loadStateDict(tensors);
          ema.setAveragingUpdates(recordedAveragingUpdates(metadata, ema.startStep, ctx.step));
        } finally {
          tf.dispose(Object.values(tensors));
        }
      }
      restored = undefined;
    },
    onBatchEnd(ctx) {
      catchUp(ctx.step);
    },
    restore(files: CheckpointFileMap) {
      restored = files[EMA_GENERATOR_FILE];
    },
    async state(ctx: TrainerContext): Promise<CheckpointFileMap> {
      if (!ema) return {};
      catchUp(ctx.step);
      const state = ema.stateDict();
      const bytes = await encodeSafetensorsAsync(state, {
        // int32 buffers (num_batches_tracked) as I64, PyTorch's type, as the trainer stores the generator.
        int64: Object.keys(state).filter((k) => state[k].dtype === "int32"),
        metadata: {
          format: "pt",
          kind: "gan-toolkit/generator-ema",
          decay: String(ema.decay),
          startStep: String(ema.startStep),
          warmup: String(ema.warmup),
          averagingUpdates: String(ema.averagingUpdateCount),
          step: String(ctx.step),
        },
      });
      return { [EMA_GENERATOR_FILE]: bytes };
    },
  };
}
