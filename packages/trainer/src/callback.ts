import type { GanDiscriminator, GanGenerator, GeneratorOutput } from "@gan/spec";
import type * as tf from "@tensorflow/tfjs-core";
import type { EpochMetrics, StepMetrics } from "./metrics";

/**
 * Where training stands and what a callback may do, handed to every hook: a snapshot of the counters taken
 * when the hook is called, the models (to read or sample from, not to replace), the fixed noise, and the few
 * actions a plugin needs (stop, save a checkpoint). It does not expose the trainer itself.
 */
export interface TrainerContext {
  /** The generator being trained. */
  readonly generator: GanGenerator;
  /** The discriminator being trained. */
  readonly discriminator: GanDiscriminator;
  /** The loss's name (`"hinge"`, `"bce"`...). */
  readonly lossName: string;
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
  /** The step of the last checkpoint written or resumed (-1 when none). */
  readonly lastCheckpointStep: number;
  /** True when the trainer has a checkpoint store, so {@link TrainerContext.saveCheckpoint} can work. */
  readonly canCheckpoint: boolean;
  /**
   * The first `count` rows of the run's fixed noise (the same latent codes every time, drawn once from the
   * trainer's seed). The caller disposes the result.
   */
  fixedNoise(count: number): tf.Tensor2D;
  /** The classes of a class-conditional model (`generator.numClasses`); undefined for an unconditional one. */
  readonly numClasses: number | undefined;
  /**
   * Fixed labels of a conditional model for `count` images (undefined when unconditional): image `i` gets class
   * `i mod numClasses`, or with `columns` `floor(i / columns) mod numClasses` (one class per row of a grid of
   * `columns` columns). The caller disposes the result.
   */
  fixedLabels(count: number, columns?: number): tf.Tensor1D | undefined;
  /**
   * Runs the generator in evaluation mode on `z`, then restores its mode; a conditional generator draws the classes
   * `labels` gives (default: `fixedLabels(z.shape[0])`). The caller disposes the output.
   */
  generate(z: tf.Tensor, labels?: tf.Tensor1D): GeneratorOutput;
  /** Asks the run to stop after the current step (as the abort signal does). */
  stop(): void;
  /**
   * Saves a checkpoint of the current state into the trainer's store (with every callback's
   * {@link TrainerCallback.state}), then keeps the newest `keep` (default 3). Resolves with where it went.
   */
  saveCheckpoint(options?: { keep?: number }): Promise<string>;
}

/** How a run ended, handed to `onTrainEnd`. */
export interface TrainEnd {
  /**
   * `"completed"`: every epoch ran. `"aborted"`: stopped by the abort signal or `stop()` after a whole
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
  /**
   * A name to find or filter the callback by (`"metrics"`, `"samples"`, `"checkpoints"`...). A callback with
   * {@link TrainerCallback.state} should have one: checkpoints record which files each named callback wrote.
   */
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
   * The callback's own state, saved with every checkpoint: file name → bytes (e.g.
   * `{ "generator-ema.safetensors": bytes }`), like a module's `stateDict()`. The trainer asks for it whenever
   * it saves a checkpoint and stores the files in the same atomic write as its own: a checkpoint holds all of
   * them or does not exist. `ctx.step` is the step being saved; this may run before this step's `onBatchEnd`
   * of the same callback, so bring the state up to `ctx.step` first if `onBatchEnd` updates it.
   *
   * Names must be plain file names (no `/`, not starting with `.`), distinct from `state.json`, from the
   * trainer's own files (`CHECKPOINT_FILES`) and from other callbacks' files. Throwing (or rejecting)
   * aborts the save and leaves the previous checkpoint untouched.
   */
  state?(ctx: TrainerContext): CheckpointFileMap | Promise<CheckpointFileMap>;
  /**
   * Takes back what {@link TrainerCallback.state} saved, like `loadStateDict()`: called when the trainer
   * imports a checkpoint (`resume()`), after the models, optimizers and counters are restored and before
   * `onTrainStart`, with the files this callback wrote (empty when the checkpoint has none of them, e.g. it
   * was written without this callback).
   */
  restore?(files: CheckpointFileMap, ctx: TrainerContext): void | Promise<void>;
}

/** Files a callback saves in a checkpoint: file name → bytes. See {@link TrainerCallback.state}. */
export type CheckpointFileMap = Record<string, Uint8Array>;
