import { Random } from "@gan/layers";
import type { GanDiscriminator, GanGenerator, GanLoss, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { TrainEnd, TrainerCallback, TrainerContext } from "./callback";
import { callbackContext } from "./callback-context";
import { collectCallbackState, emit, emitTrainEnd, restoreCallbackState } from "./callback-dispatch";
import { type CheckpointFiles, type CheckpointStore, checkpointName, latestLocation } from "./checkpoint/checkpoint-store";
import { UnusableCheckpointError, previousGoodCheckpoint } from "./checkpoint/unusable-checkpoint";
import { type NamedVariables, type Optimizers, type TrainerCheckpointState, type TrainingParts, type TrainingPosition, exportTrainingState, importTrainingState, jsonCopy, makeOptimizer, trainableParameters } from "./checkpoint/training-state";
import { type DataBatch, type DataSource, batchImages, batchLabels } from "./data-source";
import { type DivergenceError, NonFiniteCheckpointError } from "./errors";
import { type RealBatch, type StepValues, ganIteration } from "./gan-iteration";
import { conditionalClasses } from "./gan-step";
import { type EpochMetrics, emptyEpochTotals } from "./metrics";
import { type GanTrainerOptions, type ResolvedTrainerOptions, resolveLoss, resolveMaxLoss, resolveTrainerOptions } from "./options";
import { FixedNoise, fixedLabels, generateInEvalMode } from "./sampler";
import { type TrainResult, runEpochs } from "./training-loop";

/**
 * Trains a GAN the way the reference's `train_model` does: for every batch a discriminator step on the real
 * batch and fresh fakes, then a generator step on fresh latent codes, each with its own Adam; the plugins in
 * `callbacks` log, draw and checkpoint (into `store`).
 *
 * ```ts
 * const trainer = new GanTrainer({ generator, discriminator, loss: hingeLoss(), data, epochs: 10, seed: 1 });
 * const result = await trainer.fit();
 * trainer.dispose();
 * ```
 *
 * Determinism: `seed` fixes every latent code the trainer draws; with the same models (same initial weights),
 * the same data order and the same backend, two runs are bit-identical, and so is a run resumed from a
 * checkpoint (see {@link GanTrainer.resume}).
 *
 * Class-conditional models (`generator.numClasses` set): the data must yield labelled batches (`{ images, labels }`,
 * e.g. `dataLoaderSource` of a labelled `@gan/data` dataset); every step passes the real labels to D and draws the
 * fakes' labels uniformly from [0, numClasses) with the trainer's seeded, checkpointed randomness, so a resumed
 * conditional run is bit-identical to an unbroken one too. Sample grids get fixed labels ({@link GanTrainer.fixedLabels}).
 */
export class GanTrainer {
  readonly generator: GanGenerator;
  readonly discriminator: GanDiscriminator;
  readonly loss: GanLoss;
  readonly data: DataSource;
  /** The options after defaults. */
  readonly options: ResolvedTrainerOptions;
  /** The run folder, if any (for file-writing callbacks). */
  readonly runDir: string | undefined;
  /** Where checkpoints go and come from, if anywhere. */
  readonly store: CheckpointStore | undefined;
  /** The plugins, in call order; edit the array before `fit()` to add or remove some. */
  readonly callbacks: TrainerCallback[];
  /** The source of every training latent code. Its state is saved in checkpoints. */
  readonly random: Random;
  /** The largest absolute loss a step may have (option `maxLoss`; `Infinity`: no limit). */
  readonly maxLoss: number;
  /** The classes of a class-conditional model (the generator's `numClasses`, else the discriminator's); undefined otherwise. */
  readonly numClasses: number | undefined;

  private optimizers: Optimizers;
  private readonly gParams: NamedVariables;
  private readonly dParams: NamedVariables;
  private readonly signal: AbortSignal | undefined;
  private readonly noise: FixedNoise;
  private position: TrainingPosition;
  private startStep = 0;
  private resumedFrom: string | undefined;
  private stopRequested = false;
  private running = false;
  private lastSavedStep = -1;

  constructor(options: GanTrainerOptions) {
    this.options = resolveTrainerOptions(options);
    this.generator = options.generator;
    this.discriminator = options.discriminator;
    this.loss = resolveLoss(options.loss);
    this.data = options.data;
    this.runDir = options.runDir;
    this.store = options.store;
    this.callbacks = [...(options.callbacks ?? [])];
    this.signal = options.signal;
    this.maxLoss = resolveMaxLoss(options.maxLoss);
    this.numClasses = checkConditional(this.generator, this.discriminator, this.data);
    this.random = new Random(this.options.seed);
    this.gParams = trainableParameters(this.generator, "generator");
    this.dParams = trainableParameters(this.discriminator, "discriminator");
    this.optimizers = { g: makeOptimizer(this.options, "g"), d: makeOptimizer(this.options, "d") };
    this.position = { epoch: 0, batchInEpoch: 0, step: 0, totals: emptyEpochTotals(), epochStartDataState: jsonCopy(this.data.getState?.()) };
    // Drawn up front so that the number of live tensors stays constant from the first step on.
    this.noise = new FixedNoise(this.options.seed, this.options.fixedNoiseSize, this.generator.zDim);
  }

  /** The generator's Adam. */
  get gOptimizer(): tf.AdamOptimizer { return this.optimizers.g; }

  /** The discriminator's Adam. */
  get dOptimizer(): tf.AdamOptimizer { return this.optimizers.d; }

  /** Iterations completed in the whole run. */
  get step(): number { return this.position.step; }

  /** The epoch the next step belongs to (0-based); equals `epochs` once training is complete. */
  get epoch(): number { return this.position.epoch; }

  /** Batches of the current epoch already consumed. */
  get batchInEpoch(): number { return this.position.batchInEpoch; }

  /** Where the checkpoint this trainer resumed from is ({@link CheckpointStore.locate}), if it resumed. */
  get resumedCheckpoint(): string | undefined { return this.resumedFrom; }

  /** The step of the last checkpoint this trainer wrote or resumed from (-1 when none). */
  get lastCheckpointStep(): number { return this.lastSavedStep; }

  /** Asks the running `fit()` to stop after the current step (as the abort signal does). */
  stop(): void {
    this.stopRequested = true;
  }

  /** The first `count` rows of the run's fixed noise `[fixedNoiseSize, zDim]` (see {@link FixedNoise}); dispose it. */
  fixedNoise(count: number): tf.Tensor2D {
    return this.noise.take(count);
  }

  /**
   * Fixed class labels for `count` images of a conditional model (undefined for an unconditional one), int32
   * `[count]`: image `i` gets class `i mod numClasses`, or with `columns`, class `floor(i / columns) mod numClasses`
   * (one row per class in a grid of `columns` columns). The caller disposes them.
   */
  fixedLabels(count: number, columns?: number): tf.Tensor1D | undefined {
    return this.numClasses === undefined ? undefined : fixedLabels(count, this.numClasses, columns);
  }

  /**
   * Runs the generator in evaluation mode on `z`, then restores training mode. A conditional generator draws the
   * classes `labels` gives (default {@link GanTrainer.fixedLabels} of `z`'s rows). The caller disposes the output.
   */
  generate(z: tf.Tensor, labels?: tf.Tensor1D): GeneratorOutput {
    if (this.generator.numClasses === undefined || labels !== undefined) return generateInEvalMode(this.generator, z, labels);
    const fixed = fixedLabels(z.shape[0], this.generator.numClasses);
    try {
      return generateInEvalMode(this.generator, z, fixed);
    } finally {
      fixed.dispose();
    }
  }

  /**
   * One iteration on the given real batches (one per D step; the caller keeps ownership of them): the D
   * step(s) and the G step, returning the losses and mean D scores. It does not move the step counter, call
   * callbacks or check for non-finite losses: {@link GanTrainer.fit} does that. A conditional model needs
   * labelled batches (`{ images, labels }`); an error names the option `data` when they have no labels or a
   * label is not below `numClasses`.
   */
  async trainStep(realBatches: DataBatch | readonly DataBatch[]): Promise<StepValues> {
    const { generator, discriminator, loss, random, optimizers } = this;
    const gVars = this.gParams.map(([, v]) => v);
    const dVars = this.dParams.map(([, v]) => v);
    const given = Array.isArray(realBatches) ? (realBatches as readonly DataBatch[]) : [realBatches as DataBatch];
    const batches = given.map((b) => this.realBatch(b));
    try {
      return await ganIteration({ generator, discriminator, loss, random, gVars, dVars, gOptimizer: optimizers.g, dOptimizer: optimizers.d, scores: this.options.scores }, batches);
    } finally {
      for (const b of batches) b.labels?.dispose();
    }
  }

  /** A data batch as the step takes it: for a conditional model with its labels checked and as an int32 tensor. */
  private realBatch(batch: DataBatch): RealBatch {
    const images = batchImages(batch);
    const k = this.numClasses;
    if (k === undefined) return { images };
    const labels = batchLabels(batch);
    if (labels === undefined) {
      throw new Error(
        `GanTrainer: the model is conditional on ${k} classes, but option 'data' yields batches without labels; give it labelled batches ({ images, labels }): a labelled dataset (ImageFolder.open(dir, { labels: true }), one sub-folder per class) through dataLoaderSource, or arrayDataSource(images, { labels })`,
      );
    }
    if (labels.length !== images.shape[0]) {
      throw new Error(`GanTrainer: option 'data' yielded a batch of ${images.shape[0]} images with ${labels.length} labels`);
    }
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (!(Number.isInteger(label) && label >= 0 && label < k)) {
        throw new Error(
          `GanTrainer: option 'data' yielded label ${label} (image ${i} of the batch), but the model is conditional on ${k} classes: labels must be in [0, ${k}); build the models with numClasses of at least the data's class count`,
        );
      }
    }
    return { images, labels: tf.tensor1d(Int32Array.from(labels), "int32") };
  }

  /**
   * Trains until `epochs` have run (from the resumed position, if {@link GanTrainer.resume} was called), calling
   * the callbacks. Resolves with status `"aborted"` when the abort signal or {@link GanTrainer.stop} ended it
   * after a whole step; rejects with the error (a {@link DivergenceError} for a NaN, infinite or exploding loss or a
   * non-finite state, a callback's error...) otherwise,
   * after every callback's `onTrainEnd` ran with status `"failed"`.
   */
  async fit(): Promise<TrainResult> {
    if (this.running) throw new Error("GanTrainer.fit is already running");
    this.running = true;
    this.stopRequested = false;
    this.generator.train();
    this.discriminator.train();
    let end: TrainEnd = { status: "completed" };
    let error: unknown;
    let lastEpoch: EpochMetrics | undefined;
    try {
      await emit(this.callbacks, (cb) => cb.onTrainStart?.(this.context()));
      lastEpoch = await runEpochs(
        {
          data: this.data,
          dSteps: this.options.dSteps,
          position: this.position,
          trainStep: (batches) => this.trainStep(batches),
          shouldStop: () => this.stopRequested || this.signal?.aborted === true,
          maxLoss: this.maxLoss,
          learningRates: { gLr: this.options.gLr, dLr: this.options.dLr },
          lastCheckpoint: () => this.latestCheckpoint(),
          onBatchEnd: (metrics, real) => emit(this.callbacks, (cb) => cb.onBatchEnd?.(this.context(), metrics, real)),
          onEpochEnd: (metrics, ended) => emit(this.callbacks, (cb) => cb.onEpochEnd?.(this.context(ended), metrics)),
        },
        this.options.epochs,
      );
      if (this.position.epoch < this.options.epochs) end = { status: "aborted" };
    } catch (e) {
      error = e;
      end = { status: "failed", error };
    }
    try {
      error = await emitTrainEnd(this.callbacks, () => this.context(), end);
    } finally {
      this.running = false;
    }
    if (error !== undefined) throw error;
    return { status: end.status as TrainResult["status"], step: this.position.step, epochsCompleted: this.position.epoch, lastEpoch };
  }

  /**
   * Loads checkpoint `name` (default: the newest) of the trainer's store into the models, optimizers, RNG, data
   * source, position and callbacks (their `restore`), so that {@link GanTrainer.fit} continues exactly where the
   * checkpointed run was. Returns where the checkpoint is, or undefined when the store holds none. Call it
   * before `fit()`.
   *
   * The trainer's own options win over the checkpoint's: a trainer made with new `epochs`, `gLr` or `dLr` trains
   * to the new end with the new learning rates (the optimizers' moments and step count come from the checkpoint).
   * A checkpoint that cannot be read or loaded rejects with an {@link UnusableCheckpointError} naming it, why, and
   * the previous checkpoint that reads back complete; nothing falls back silently.
   */
  async resume(name?: string): Promise<string | undefined> {
    const store = this.requireStore("resume");
    if (this.running) throw new Error("GanTrainer.resume: cannot resume while fit() is running");
    const chosen = name ?? (await store.latest());
    if (chosen === undefined) return undefined;
    const where = store.locate(chosen);
    try {
      await this.importCheckpoint(await store.read<TrainerCheckpointState>(chosen), where);
    } catch (e) {
      throw new UnusableCheckpointError(chosen, where, (e as Error).message, await previousGoodCheckpoint(store, chosen));
    }
    this.resumedFrom = where;
    return where;
  }

  /**
   * Writes a checkpoint of the current state (with every callback's `state()`) into the trainer's store (or
   * `options.store`) atomically, then keeps the newest `keep` (default 3). Returns where it went. A state whose
   * weights, buffers or optimizer moments hold NaN or ±Infinity is not written: it rejects with a
   * {@link NonFiniteCheckpointError} naming the tensors and the last good checkpoint, which stays the latest.
   */
  async saveCheckpoint(options: { store?: CheckpointStore; keep?: number } = {}): Promise<string> {
    const store = options.store ?? this.requireStore("saveCheckpoint");
    const name = checkpointName(this.position.step);
    await store.write(name, await this.exportCheckpoint());
    this.lastSavedStep = this.position.step;
    await store.prune(options.keep ?? 3);
    return store.locate(name);
  }

  /** The whole training state in memory ({@link exportTrainingState}), with the callbacks' `state()` files. */
  async exportCheckpoint(): Promise<CheckpointFiles<TrainerCheckpointState>> {
    const parts = this.parts();
    const content = await exportTrainingState(parts, this.optimizers, this.position).catch(async (e: unknown) => {
      if (!(e instanceof NonFiniteCheckpointError)) throw e;
      throw new NonFiniteCheckpointError({ ...e.details, lastCheckpoint: await this.latestCheckpoint() });
    });
    content.state.callbackFiles = await collectCallbackState(this.callbacks, this.context(), content.files);
    return content;
  }

  /** Restores a state from {@link GanTrainer.exportCheckpoint}, callbacks included; `source` names it in errors. */
  async importCheckpoint(content: CheckpointFiles<TrainerCheckpointState>, source = "checkpoint"): Promise<void> {
    const { optimizers, position } = await importTrainingState(this.parts(), content, source);
    this.optimizers.g.dispose();
    this.optimizers.d.dispose();
    this.optimizers = optimizers;
    Object.assign(this.position, position);
    this.startStep = position.step;
    this.lastSavedStep = position.step;
    this.resumedFrom = source;
    await restoreCallbackState(this.callbacks, this.context(), content.files, content.state.callbackFiles);
  }

  /** The narrow view of the run that callbacks get, at this moment, with optional overrides. */
  context(overrides: Partial<Pick<TrainerContext, "epoch" | "batchInEpoch">> = {}): TrainerContext {
    return callbackContext(this, { ...this.position, ...overrides }, {
      startStep: this.startStep,
      resumed: this.resumedFrom !== undefined,
      lastCheckpointStep: this.lastSavedStep,
    });
  }

  /** Frees the optimizers and the fixed noise (the models belong to the caller). */
  dispose(): void {
    this.optimizers.g.dispose();
    this.optimizers.d.dispose();
    this.noise.dispose();
  }

  private parts(): TrainingParts {
    const { generator, discriminator, loss, data, random, options, gParams, dParams } = this;
    return { generator, discriminator, loss, data, random, options, gParams, dParams };
  }

  private async latestCheckpoint(): Promise<string | undefined> {
    return this.store ? latestLocation(this.store) : undefined;
  }

  private requireStore(method: string): CheckpointStore {
    if (!this.store) throw new Error(`GanTrainer.${method}: the trainer has no checkpoint store (option 'store')`);
    return this.store;
  }
}

/**
 * The classes of a conditional pair ({@link conditionalClasses}), checked: G and D conditional on the same number
 * of classes, and no more classes in the data than the model has.
 */
function checkConditional(generator: GanGenerator, discriminator: GanDiscriminator, data: DataSource): number | undefined {
  const g = generator.numClasses;
  const d = discriminator.numClasses;
  if (g !== undefined && d !== undefined && g !== d) {
    throw new Error(`GanTrainer: the generator is conditional on ${g} classes but the discriminator on ${d}; build both with the same numClasses`);
  }
  const k = conditionalClasses({ generator, discriminator });
  if (k !== undefined && data.classes !== undefined && data.classes.length > k) {
    throw new Error(
      `GanTrainer: option 'data' has ${data.classes.length} classes (${data.classes.slice(0, 12).join(", ")}${data.classes.length > 12 ? ", …" : ""}) but the model is conditional on ${k}; build the models with numClasses ${data.classes.length}`,
    );
  }
  return k;
}
