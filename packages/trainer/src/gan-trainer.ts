import * as path from "node:path";
import { Random, type RandomState, decodeSafetensors, encodeSafetensors } from "@gan/layers";
import type { GanDiscriminator, GanGenerator, GanLoss, GeneratorOutput, TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { createAdam, exportAdamState, importAdamState } from "./adam";
import type { TrainEnd, TrainerCallback, TrainerContext } from "./callback";
import {
  CHECKPOINTS_DIR,
  type CheckpointFiles,
  checkCheckpointFileName,
  checkpointName,
  latestCheckpoint,
  pruneCheckpoints,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint/checkpoint-store";
import type { DataSource } from "./data-source";
import { NonFiniteLossError } from "./errors";
import { type DiscriminatorStepResult, type StepParts, discriminatorStep, generatorStep } from "./gan-step";
import { type EpochMetrics, type EpochTotals, type StepMetrics, addStep, emptyEpochTotals, epochMetrics } from "./metrics";
import { type GanTrainerOptions, type ResolvedTrainerOptions, resolveLoss, resolveTrainerOptions } from "./options";

/** The loss values and D scores of one iteration. */
export interface StepValues {
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
  dFakeG: number;
}

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

/** What a checkpoint's `state.json` holds. */
export interface TrainerCheckpointState {
  format: "gan-toolkit/trainer-checkpoint";
  version: 1;
  /** Iterations completed. */
  step: number;
  /** The epoch to continue in (0-based; equal to the epochs run when the checkpoint ends an epoch). */
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  /** State of the latent-code RNG. */
  random: RandomState;
  /** The data source's state at the start of `epoch` (absent when the source has no `getState`). */
  data?: unknown;
  /** The loss's state (absent when the loss has no `getState`, as the stateless hinge and BCE). */
  loss?: unknown;
  /** Running sums of `epoch`'s steps so far. */
  epochTotals: EpochTotals;
  /** The options the run used. */
  options: ResolvedTrainerOptions;
  /** When it was written, ISO 8601. */
  time: string;
}

/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  generator: "generator.safetensors",
  discriminator: "discriminator.safetensors",
  gOptimizer: "optimizer-generator.safetensors",
  dOptimizer: "optimizer-discriminator.safetensors",
} as const;

type NamedVariables = Array<[string, tf.Variable]>;

/**
 * Trains a GAN the way the reference's `train_model` does: for every batch a discriminator step on the real
 * batch and fresh fakes, then a generator step on fresh latent codes, each with its own Adam; the plugins in
 * `callbacks` log, draw and checkpoint.
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
 */
export class GanTrainer {
  readonly generator: GanGenerator;
  readonly discriminator: GanDiscriminator;
  readonly loss: GanLoss;
  readonly data: DataSource;
  /** The options after defaults. */
  readonly options: ResolvedTrainerOptions;
  /** The run folder, if any. */
  readonly runDir: string | undefined;
  /** The plugins, in call order; edit the array before `fit()` to add or remove some. */
  readonly callbacks: TrainerCallback[];
  /** The source of every training latent code. Its state is saved in checkpoints. */
  readonly random: Random;

  private gOpt: tf.AdamOptimizer;
  private dOpt: tf.AdamOptimizer;
  private readonly gParams: NamedVariables;
  private readonly dParams: NamedVariables;
  private readonly signal: AbortSignal | undefined;

  private epochIndex = 0;
  private batchIndex = 0;
  private stepCount = 0;
  private totals: EpochTotals = emptyEpochTotals();
  private epochStartDataState: unknown;
  private startStepCount = 0;
  private resumedFrom: string | undefined;
  private stopRequested = false;
  private running = false;
  private fixedZ: tf.Tensor2D | undefined;
  private lastSavedStep = -1;

  constructor(options: GanTrainerOptions) {
    this.options = resolveTrainerOptions(options);
    this.generator = options.generator;
    this.discriminator = options.discriminator;
    this.loss = resolveLoss(options.loss);
    this.data = options.data;
    this.runDir = options.runDir;
    this.callbacks = [...(options.callbacks ?? [])];
    this.signal = options.signal;
    this.random = new Random(this.options.seed);
    this.gParams = trainableParameters(this.generator, "generator");
    this.dParams = trainableParameters(this.discriminator, "discriminator");
    this.gOpt = this.makeOptimizer("g");
    this.dOpt = this.makeOptimizer("d");
    this.epochStartDataState = snapshot(this.data.getState?.());
    // Drawn up front so that the number of live tensors stays constant from the first step on.
    const fixedRandom = new Random((this.options.seed ^ 0x5eed5a3f) >>> 0);
    this.fixedZ = fixedRandom.normal([this.options.fixedNoiseSize, this.generator.zDim]) as tf.Tensor2D;
  }

  /** The generator's Adam. */
  get gOptimizer(): tf.AdamOptimizer {
    return this.gOpt;
  }

  /** The discriminator's Adam. */
  get dOptimizer(): tf.AdamOptimizer {
    return this.dOpt;
  }

  /** Iterations completed in the whole run. */
  get step(): number {
    return this.stepCount;
  }

  /** The epoch the next step belongs to (0-based); equals `epochs` once training is complete. */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Batches of the current epoch already consumed. */
  get batchInEpoch(): number {
    return this.batchIndex;
  }

  /** The checkpoint this trainer resumed from, if any. */
  get resumedCheckpoint(): string | undefined {
    return this.resumedFrom;
  }

  /** Asks the running `fit()` to stop after the current step (as the abort signal does). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * The first `count` rows of the run's fixed noise `[fixedNoiseSize, zDim]`, drawn once from `seed` on a stream
   * of its own (so it neither shifts nor depends on the training draws). The caller disposes the result.
   */
  fixedNoise(count: number): tf.Tensor2D {
    const size = this.options.fixedNoiseSize;
    if (!Number.isInteger(count) || count < 1 || count > size) {
      throw new Error(`fixedNoise: count must be an integer in [1, ${size}] (the trainer's fixedNoiseSize), got ${count}`);
    }
    if (!this.fixedZ) throw new Error("fixedNoise: the trainer has been disposed");
    return tf.slice(this.fixedZ, [0, 0], [count, -1]);
  }

  /**
   * Runs the generator in evaluation mode on `z` (BatchNorm uses its running statistics, nothing updates) and
   * restores training mode afterwards. The caller disposes the output.
   */
  generate(z: tf.Tensor): GeneratorOutput {
    const wasTraining = this.generator.training;
    this.generator.eval();
    try {
      return tf.tidy(() => this.generator.forward(z) as unknown as tf.TensorContainerObject) as unknown as GeneratorOutput;
    } finally {
      this.generator.train(wasTraining);
    }
  }

  /**
   * One iteration on the given real batches (one per D step; the caller keeps ownership of them): the D
   * step(s) and the G step, returning the losses and mean D scores. It does not move the step counter, call
   * callbacks or check for non-finite losses: {@link GanTrainer.fit} does that.
   */
  async trainStep(realBatches: tf.Tensor4D | readonly tf.Tensor4D[]): Promise<StepValues> {
    const batches = Array.isArray(realBatches) ? (realBatches as readonly tf.Tensor4D[]) : [realBatches as tf.Tensor4D];
    if (batches.length === 0) throw new Error("trainStep: no real batch");
    for (const b of batches) {
      if (b.rank !== 4) throw new Error(`trainStep: real batches must be [B, H, W, C], got [${b.shape}]`);
    }
    const parts = this.stepParts();
    const scalars: tf.Tensor[] = [];
    try {
      const d: DiscriminatorStepResult[] = [];
      for (const real of batches) {
        const r = discriminatorStep(parts, real);
        scalars.push(r.loss, r.realScore, r.fakeScore);
        d.push(r);
      }
      const g = generatorStep(parts, batches[batches.length - 1].shape[0]);
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

  /**
   * Trains until `epochs` have run (from the resumed position, if {@link GanTrainer.resume} was called), calling
   * the callbacks. Resolves with status `"aborted"` when the abort signal or {@link GanTrainer.stop} ended it
   * after a whole step; rejects with the error (a {@link NonFiniteLossError}, a callback's error...) otherwise,
   * after every callback's `onTrainEnd` ran with status `"failed"`.
   */
  async fit(): Promise<TrainResult> {
    if (this.running) throw new Error("GanTrainer.fit is already running");
    this.running = true;
    this.stopRequested = false;
    this.generator.train();
    this.discriminator.train();
    let status: TrainEnd["status"] = "completed";
    let error: unknown;
    let lastEpoch: EpochMetrics | undefined;
    try {
      await this.emit((cb) => cb.onTrainStart?.(this.context()));
      while (this.epochIndex < this.options.epochs && !this.shouldStop()) {
        const ended = await this.runEpoch();
        if (ended) lastEpoch = ended;
        else break;
      }
      if (this.epochIndex < this.options.epochs) status = "aborted";
    } catch (e) {
      status = "failed";
      error = e;
    }
    try {
      for (const cb of this.callbacks) {
        try {
          await cb.onTrainEnd?.(this.context(), status === "failed" ? { status, error } : { status });
        } catch (e) {
          if (error === undefined) error = e;
        }
      }
    } finally {
      this.running = false;
    }
    if (error !== undefined) throw error;
    return {
      status: status as "completed" | "aborted",
      step: this.stepCount,
      epochsCompleted: this.epochIndex,
      lastEpoch,
    };
  }

  /**
   * Loads the newest checkpoint of `from` (a run folder, or a checkpoint folder itself) into the models,
   * optimizers, RNG, data source and position, so that {@link GanTrainer.fit} continues exactly where the
   * checkpointed run was. Defaults to this trainer's `runDir`. Returns the checkpoint's path, or undefined when
   * `from` holds no checkpoint. Call it before `fit()`.
   */
  async resume(from: string | undefined = this.runDir): Promise<string | undefined> {
    if (!from) throw new Error("GanTrainer.resume: pass a run folder or set the trainer's runDir");
    if (this.running) throw new Error("GanTrainer.resume: cannot resume while fit() is running");
    const isCheckpoint = path.basename(from).startsWith("step-");
    const dir = isCheckpoint ? from : await latestCheckpoint(from);
    if (!dir) return undefined;
    await this.importCheckpoint(await readCheckpoint<TrainerCheckpointState>(dir), dir);
    this.resumedFrom = dir;
    return dir;
  }

  /**
   * Writes a checkpoint of the current state into `<runDir>/checkpoints/step-NNNNNNN/` atomically and updates
   * `checkpoints/latest`; then deletes all but the newest `keep` checkpoints (default 3). Returns its path.
   * The files callbacks contribute ({@link TrainerCallback.checkpointFiles}) are written in the same atomic
   * step as the trainer's own.
   */
  async saveCheckpoint(options: { runDir?: string; keep?: number } = {}): Promise<string> {
    const runDir = options.runDir ?? this.runDir;
    if (!runDir) throw new Error("GanTrainer.saveCheckpoint: pass runDir or set the trainer's runDir");
    const content = await this.exportCheckpoint();
    const dir = await writeCheckpoint(path.join(runDir, CHECKPOINTS_DIR), checkpointName(this.stepCount), content);
    this.lastSavedStep = this.stepCount;
    await pruneCheckpoints(runDir, options.keep ?? 3);
    return dir;
  }

  /** The step of the last checkpoint this trainer wrote or resumed from (-1 when none). */
  get lastCheckpointStep(): number {
    return this.lastSavedStep;
  }

  /**
   * The whole training state as checkpoint files (safetensors bytes) and `state.json` content, with the files
   * the callbacks contribute through {@link TrainerCallback.checkpointFiles}.
   */
  async exportCheckpoint(): Promise<CheckpointFiles<TrainerCheckpointState>> {
    const files: Record<string, Uint8Array> = {
      [CHECKPOINT_FILES.generator]: encodeModule(this.generator),
      [CHECKPOINT_FILES.discriminator]: encodeModule(this.discriminator),
    };
    for (const [file, opt, params] of [
      [CHECKPOINT_FILES.gOptimizer, this.gOpt, this.gParams],
      [CHECKPOINT_FILES.dOptimizer, this.dOpt, this.dParams],
    ] as const) {
      const state = await exportAdamState(opt, params.map(([n]) => n));
      try {
        files[file] = encodeSafetensors(state.tensors, { metadata: { format: "gan-toolkit/adam", ...optimizerMetadata(this.options, file) } });
      } finally {
        state.dispose();
      }
    }
    const state: TrainerCheckpointState = {
      format: "gan-toolkit/trainer-checkpoint",
      version: 1,
      step: this.stepCount,
      epoch: this.epochIndex,
      batchInEpoch: this.batchIndex,
      random: this.random.getState(),
      epochTotals: { ...this.totals },
      options: { ...this.options },
      time: new Date().toISOString(),
    };
    if (this.epochStartDataState !== undefined) state.data = this.epochStartDataState;
    const lossState = this.loss.getState?.();
    if (lossState !== undefined) state.loss = snapshot(lossState);
    await this.addCallbackFiles(files);
    return { state, files };
  }

  /** Adds the callbacks' checkpoint files to `files`, refusing bad names and names taken twice. */
  private async addCallbackFiles(files: Record<string, Uint8Array>): Promise<void> {
    const owners = new Map(Object.keys(files).map((f): [string, string] => [f, "the trainer"]));
    const ctx = this.context();
    for (const [index, cb] of this.callbacks.entries()) {
      if (!cb.checkpointFiles) continue;
      const who = `callback '${cb.name ?? `#${index}`}'`;
      const added = await cb.checkpointFiles(ctx);
      for (const [file, bytes] of Object.entries(added ?? {})) {
        checkCheckpointFileName(file, `GanTrainer: ${who}`);
        const owner = owners.get(file);
        if (owner) throw new Error(`GanTrainer: ${who} adds '${file}' to the checkpoint, but ${owner} already writes it`);
        if (!(bytes instanceof Uint8Array)) throw new Error(`GanTrainer: ${who} must give checkpoint file '${file}' as a Uint8Array`);
        owners.set(file, who);
        files[file] = bytes;
      }
    }
  }

  /** Restores a state from {@link GanTrainer.exportCheckpoint}; `source` names it in errors. */
  async importCheckpoint(content: CheckpointFiles<TrainerCheckpointState>, source = "checkpoint"): Promise<void> {
    const { state, files } = content;
    if (state?.format !== "gan-toolkit/trainer-checkpoint" || state.version !== 1) {
      throw new Error(`${source}: not a @gan/trainer checkpoint (format ${JSON.stringify(state?.format)}, version ${state?.version})`);
    }
    for (const file of Object.values(CHECKPOINT_FILES)) {
      if (!files[file]) throw new Error(`${source}: missing ${file}`);
    }
    if (state.loss !== undefined && !this.loss.setState) {
      throw new Error(`${source}: the checkpoint holds a state of its loss but the loss '${this.loss.name}' has no setState()`);
    }
    if (state.data !== undefined && !this.data.setState) {
      throw new Error(`${source}: the checkpoint holds a data-source state but the data source has no setState()`);
    }
    loadModule(this.generator, files[CHECKPOINT_FILES.generator], `${source}/${CHECKPOINT_FILES.generator}`);
    loadModule(this.discriminator, files[CHECKPOINT_FILES.discriminator], `${source}/${CHECKPOINT_FILES.discriminator}`);
    const gOpt = this.makeOptimizer("g");
    const dOpt = this.makeOptimizer("d");
    try {
      await loadOptimizer(gOpt, files[CHECKPOINT_FILES.gOptimizer], this.gParams, `${source}/${CHECKPOINT_FILES.gOptimizer}`);
      await loadOptimizer(dOpt, files[CHECKPOINT_FILES.dOptimizer], this.dParams, `${source}/${CHECKPOINT_FILES.dOptimizer}`);
    } catch (e) {
      gOpt.dispose();
      dOpt.dispose();
      throw e;
    }
    this.gOpt.dispose();
    this.dOpt.dispose();
    this.gOpt = gOpt;
    this.dOpt = dOpt;
    this.random.setState(state.random);
    if (state.data !== undefined) this.data.setState!(snapshot(state.data));
    if (state.loss !== undefined) this.loss.setState!(snapshot(state.loss));
    this.epochStartDataState = snapshot(state.data);
    this.epochIndex = state.epoch;
    this.batchIndex = state.batchInEpoch;
    this.stepCount = state.step;
    this.startStepCount = state.step;
    this.lastSavedStep = state.step;
    this.totals = { ...emptyEpochTotals(), ...state.epochTotals };
  }

  /** The callback context at this moment, with optional overrides. */
  context(overrides: Partial<Pick<TrainerContext, "epoch" | "batchInEpoch">> = {}): TrainerContext {
    const batchesPerEpoch = this.data.batchesPerEpoch;
    const stepsPerEpoch = batchesPerEpoch === undefined ? undefined : Math.ceil(batchesPerEpoch / this.options.dSteps);
    return {
      trainer: this,
      generator: this.generator,
      discriminator: this.discriminator,
      runDir: this.runDir,
      epoch: overrides.epoch ?? this.epochIndex,
      epochs: this.options.epochs,
      step: this.stepCount,
      batchInEpoch: overrides.batchInEpoch ?? this.batchIndex,
      batchesPerEpoch,
      stepsPerEpoch,
      totalSteps: stepsPerEpoch === undefined ? undefined : stepsPerEpoch * this.options.epochs,
      startStep: this.startStepCount,
      resumed: this.resumedFrom !== undefined,
    };
  }

  /** Frees the optimizers and the fixed noise (the models belong to the caller). */
  dispose(): void {
    this.gOpt.dispose();
    this.dOpt.dispose();
    this.fixedZ?.dispose();
    this.fixedZ = undefined;
  }

  /** Runs the rest of the current epoch. Returns its metrics, or undefined when a stop request ended it early. */
  private async runEpoch(): Promise<EpochMetrics | undefined> {
    const epoch = this.epochIndex;
    const skipping = this.batchIndex > 0 && !this.data.epochFrom;
    const iterable = this.batchIndex > 0 && this.data.epochFrom ? this.data.epochFrom(epoch, this.batchIndex) : this.data.epoch(epoch);
    const iterator = iterable[Symbol.asyncIterator]();
    let exhausted = false;
    try {
      for (let i = 0; skipping && i < this.batchIndex; i++) {
        const skipped = await iterator.next();
        if (skipped.done) {
          exhausted = true;
          break;
        }
        skipped.value.dispose();
      }
      while (!exhausted) {
        const t0 = performance.now();
        const batches: tf.Tensor4D[] = [];
        while (batches.length < this.options.dSteps) {
          const next = await iterator.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          batches.push(next.value);
        }
        if (batches.length === 0) break;
        try {
          const dataMs = performance.now() - t0;
          await this.runStep(epoch, batches, dataMs);
        } finally {
          tf.dispose(batches);
        }
        if (this.shouldStop()) return undefined;
      }
    } finally {
      if (!exhausted) await iterator.return?.();
    }
    const metrics = epochMetrics(epoch, this.stepCount, this.totals);
    const batchInEpoch = this.batchIndex;
    this.epochIndex = epoch + 1;
    this.batchIndex = 0;
    this.totals = emptyEpochTotals();
    this.epochStartDataState = snapshot(this.data.getState?.());
    await this.emit((cb) => cb.onEpochEnd?.(this.context({ epoch, batchInEpoch }), metrics));
    return metrics;
  }

  private async runStep(epoch: number, batches: tf.Tensor4D[], dataMs: number): Promise<void> {
    const t0 = performance.now();
    const values = await this.trainStep(batches);
    const stepMs = performance.now() - t0;
    const batch = this.batchIndex + batches.length;
    if (!Number.isFinite(values.dLoss) || !Number.isFinite(values.gLoss)) {
      throw new NonFiniteLossError({
        step: this.stepCount + 1,
        epoch,
        batch,
        batchesPerEpoch: this.data.batchesPerEpoch,
        dLoss: values.dLoss,
        gLoss: values.gLoss,
        lastCheckpoint: this.runDir ? await latestCheckpoint(this.runDir) : undefined,
      });
    }
    this.batchIndex = batch;
    this.stepCount += 1;
    const images = batches.reduce((n, b) => n + b.shape[0], 0);
    const metrics: StepMetrics = {
      type: "step",
      epoch,
      step: this.stepCount,
      batch,
      ...(this.data.batchesPerEpoch !== undefined ? { batchesPerEpoch: this.data.batchesPerEpoch } : {}),
      images,
      ...values,
      stepMs,
      dataMs,
      imagesPerSec: (images * 1000) / Math.max(1e-9, stepMs + dataMs),
      time: new Date().toISOString(),
    };
    addStep(this.totals, metrics);
    const last = batches[batches.length - 1];
    await this.emit((cb) => cb.onBatchEnd?.(this.context(), metrics, last));
  }

  private shouldStop(): boolean {
    return this.stopRequested || this.signal?.aborted === true;
  }

  private async emit(call: (cb: TrainerCallback) => void | Promise<void>): Promise<void> {
    for (const cb of this.callbacks) await call(cb);
  }

  private stepParts(): StepParts {
    return {
      generator: this.generator,
      discriminator: this.discriminator,
      gVars: this.gParams.map(([, v]) => v),
      dVars: this.dParams.map(([, v]) => v),
      gOptimizer: this.gOpt,
      dOptimizer: this.dOpt,
      loss: this.loss,
      random: this.random,
      scores: this.options.scores,
    };
  }

  private makeOptimizer(which: "g" | "d"): tf.AdamOptimizer {
    const o = this.options;
    return createAdam({ lr: which === "g" ? o.gLr : o.dLr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  }
}

/** A module's trainable parameters with their dotted names (indices when it has no `namedParameters`). */
function trainableParameters(module: TrainableModule, role: string): NamedVariables {
  const withNames = module as TrainableModule & { namedParameters?: () => NamedVariables };
  const named: NamedVariables =
    typeof withNames.namedParameters === "function"
      ? withNames.namedParameters()
      : module.parameters().map((v, i): [string, tf.Variable] => [`param.${i}`, v]);
  const trainable = named.filter(([, v]) => v.trainable);
  if (trainable.length === 0) throw new Error(`GanTrainer: the ${role} has no trainable parameters`);
  return trainable;
}

/** A module's state dict as safetensors (int32 `num_batches_tracked` as I64, as PyTorch stores it). */
function encodeModule(module: TrainableModule): Uint8Array {
  const state = module.stateDict();
  const int64 = Object.entries(state)
    .filter(([name, t]) => t.dtype === "int32" && name.endsWith("num_batches_tracked"))
    .map(([name]) => name);
  return encodeSafetensors(state, { int64, metadata: { format: "pt" } });
}

function loadModule(module: TrainableModule, bytes: Uint8Array, source: string): void {
  const { tensors } = decodeSafetensors(bytes, source);
  try {
    module.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

async function loadOptimizer(opt: tf.AdamOptimizer, bytes: Uint8Array, params: NamedVariables, source: string): Promise<void> {
  const { tensors } = decodeSafetensors(bytes, source);
  try {
    await importAdamState(opt, tensors, params, source);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function optimizerMetadata(o: ResolvedTrainerOptions, file: string): Record<string, string> {
  const lr = file === CHECKPOINT_FILES.gOptimizer ? o.gLr : o.dLr;
  return { lr: String(lr), beta1: String(o.beta1), beta2: String(o.beta2), epsilon: String(o.epsilon) };
}

/** A deep copy of a JSON-serialisable value (undefined stays undefined). */
function snapshot(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
