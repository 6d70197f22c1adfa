import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import type * as tf from "@tensorflow/tfjs-core";
import type { GanTrainer } from "./gan-trainer";
import type { EpochMetrics, StepMetrics } from "./metrics";

/**
 * Where training stands, handed to every callback. It is a snapshot taken when the hook is called.
 */
export interface TrainerContext {
  /** The trainer (its models, optimizers, fixed noise, `stop()`, `saveCheckpoint()`...). */
  readonly trainer: GanTrainer;
  /** The generator being trained. */
  readonly generator: GanGenerator;
  /** The discriminator being trained. */
  readonly discriminator: GanDiscriminator;
  /** The run folder, when the trainer was given one (callbacks that write files need it). */
  readonly runDir: string | undefined;
  /** The current epoch, 0-based (in `onEpochEnd`: the epoch that just ended). */
  readonly epoch: number;
  /** Epochs the run trains in all. */
  readonly epochs: number;
  /** Iterations completed in the whole run. */
  readonly step: number;
  /** Batches of the current epoch consumed so far. */
  readonly batchInEpoch: number;
  /** Batches per epoch, when the data source knows. */
  readonly batchesPerEpoch: number | undefined;
  /** Iterations per epoch (`ceil(batchesPerEpoch / dSteps)`), when known. */
  readonly stepsPerEpoch: number | undefined;
  /** Iterations of the whole run, when known: for progress bars and ETAs. */
  readonly totalSteps: number | undefined;
  /** The step this process started from: 0, or the step of the checkpoint it resumed. */
  readonly startStep: number;
  /** True when this run continues from a checkpoint. */
  readonly resumed: boolean;
}

/** How a run ended, handed to `onTrainEnd`. */
export interface TrainEnd {
  /**
   * `"completed"`: every epoch ran. `"aborted"`: stopped by the abort signal or `trainer.stop()` after a whole
   * step. `"failed"`: an error (a non-finite loss, a throwing callback...) ended it; the trainer rethrows it
   * after the callbacks ran.
   */
  readonly status: "completed" | "aborted" | "failed";
  /** The error, when `status` is `"failed"`. */
  readonly error?: unknown;
}

/**
 * A training plugin. Every hook is optional and may be async (the trainer awaits it). Logging, sample grids,
 * attention maps, loss plots and checkpoints are all callbacks; replace or drop any of them.
 *
 * Hooks run in the order of the trainer's `callbacks` array. A hook that throws ends the run as `"failed"`.
 */
export interface TrainerCallback {
  /** A name to find or filter the callback by (`"metrics"`, `"samples"`, `"checkpoints"`...). */
  readonly name?: string;
  /** Before the first step (after a resume has restored the state). */
  onTrainStart?(ctx: TrainerContext): void | Promise<void>;
  /**
   * After every step. `realImages` is the step's last real batch, valid only during the call (clone what you
   * keep).
   */
  onBatchEnd?(ctx: TrainerContext, metrics: StepMetrics, realImages: tf.Tensor4D): void | Promise<void>;
  /** After the last step of each epoch. */
  onEpochEnd?(ctx: TrainerContext, metrics: EpochMetrics): void | Promise<void>;
  /** Once at the end, whatever the outcome (also when a non-finite loss stopped the run). */
  onTrainEnd?(ctx: TrainerContext, end: TrainEnd): void | Promise<void>;
  /**
   * Extra files for the checkpoint being written, by file name (e.g. `{ "generator-ema.safetensors": bytes }`).
   * The trainer asks every callback that has this hook whenever it saves a checkpoint (from
   * `checkpointing()`, `trainer.saveCheckpoint()` or `exportCheckpoint()`), and writes the files into the same
   * temporary folder as its own before the folder is renamed into place: a checkpoint holds all of them or
   * does not exist, and pruning removes them with it. `ctx.step` is the step being saved; the hook may run
   * before this step's `onBatchEnd` of the same callback, so bring the state up to `ctx.step` first if
   * `onBatchEnd` updates it.
   *
   * Names must be plain file names (no `/`, not starting with `.`), distinct from `state.json`, from the
   * trainer's own files (`CHECKPOINT_FILES`) and from other callbacks' files. Throwing (or rejecting)
   * aborts the save and leaves the previous checkpoint and `latest` untouched. Read the files back on resume
   * from `ctx.trainer.resumedCheckpoint` in `onTrainStart`.
   */
  checkpointFiles?(ctx: TrainerContext): CheckpointFileMap | Promise<CheckpointFileMap>;
}

/** Files a callback adds to a checkpoint: file name → bytes. See {@link TrainerCallback.checkpointFiles}. */
export type CheckpointFileMap = Record<string, Uint8Array>;
