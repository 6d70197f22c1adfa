/**
 * A training run in the browser, with no DOM: the Train page's worker (worker.ts) drives one, and the unit tests
 * drive one in Node. Only the packages' browser-safe main entries: a named recipe of `@gan/recipes` applied with
 * `applyRecipe`, `@gan/data`'s `ArrayImageDataset` and seeded `DataLoader`, `@gan/trainer`'s `GanTrainer` with a
 * checkpoint store (IndexedDB in the page), checkpoints of which a reloaded page resumes bit-identically.
 *
 * The trainer runs `fit()` once per session; pausing suspends it inside a callback (after a whole step, with a
 * checkpoint written), so the EMA and every other callback keep their state. Everything that reads the models
 * (sample grids, the EMA's grid, saving the generator) runs as a job between two steps, never during one.
 */
import { ArrayImageDataset, DataLoader } from "@gan/data";
import { applyRecipe, getRecipe, type ModelSpec, type Recipe, type RecipeName, type WebManifest, webManifestAttention, webManifestModel, withOverrides } from "@gan/recipes";
import {
  CHECKPOINT_FILES,
  type CheckpointStore,
  checkpointName,
  dataLoaderSource,
  EMA_GENERATOR_FILE,
  GanTrainer,
  type StepMetrics,
  type TrainerCallback,
  type TrainerContext,
  type TrainResult,
} from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";

/** Images the sample grids draw (from the run's fixed noise). */
export const SAMPLE_COUNT = 16;

/** What a run is: stored with it (localStorage), so that a reloaded page rebuilds the same trainer. */
export interface RunConfig {
  /** Names the run's checkpoint database. */
  id: string;
  recipe: RecipeName;
  seed: number;
  /** The data set's name, shown on the page ("MNIST 7/8", "12 images"). */
  dataName: string;
  /** Overrides of the recipe (the tests train tiny nets). */
  width?: number;
  batchSize?: number;
  /** A checkpoint after this many steps, besides the pauses, the time-based ones and the end (default none). */
  checkpointEverySteps?: number;
  /** A checkpoint whenever this many seconds passed since the last one (default 30). */
  checkpointEverySeconds?: number;
  /** Stop (as `stop()` does) after this step; the recipe's epochs otherwise. */
  maxSteps?: number;
}

/** Images to train on, 8-bit, `size × size × channels` each. */
export interface TrainData {
  images: Uint8Array[];
  size: number;
  channels: 1 | 3;
  /** Class index of each image, with `classes` (used by conditional recipes only). */
  labels?: Int32Array;
  classes?: string[];
}

/** What a step reports. */
export interface Progress {
  step: number;
  epoch: number;
  epochs: number;
  dLoss: number;
  gLoss: number;
  /** Steps per second over the last few seconds of training (pauses excluded). */
  stepsPerSecond: number;
}

/** Sample grids: `[SAMPLE_COUNT, size, size, channels]` in [-1, 1], from the trained generator and its EMA. */
export interface Samples {
  step: number;
  generator: Float32Array;
  ema?: Float32Array;
}

/** The generator saved as `gan export-web` writes it: its safetensors and the manifest. */
export interface SavedGenerator {
  weights: Uint8Array;
  manifest: WebManifest;
  /** A `config.json` run record, so that `gan sample --checkpoint FOLDER/generator.safetensors` rebuilds the model. */
  config: Record<string, unknown>;
}

/** The recipe a run trains: the named one with the run's overrides, no evaluation (it needs Node), the data's channels. */
export function runRecipe(config: RunConfig, channels: 1 | 3): Recipe {
  const base = getRecipe(config.recipe);
  return withOverrides(base, {
    model: { channels, ...(config.width !== undefined ? { width: config.width } : {}) },
    ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
    training: { eval: undefined },
  });
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

type Job = () => void | Promise<void>;

export class TrainingSession {
  readonly trainer: GanTrainer;
  readonly recipe: Recipe;
  readonly spec: ModelSpec;
  /** Where the run resumed from (undefined for a new run). */
  readonly resumedFrom: string | undefined;
  private readonly applied: ReturnType<typeof applyRecipe>;
  private readonly jobs: Job[] = [];
  /** The job running now or last (see {@link TrainingSession.exclusive}). */
  private lock: Promise<unknown> = Promise.resolve();
  private paused = false;
  private wake: (() => void) | undefined;
  private stopRequested = false;
  private fitting: Promise<TrainResult> | undefined;
  private lastSave = Date.now();
  /** (time in ms, step) of recent steps, for steps per second. */
  private recent: Array<[number, number]> = [];

  private constructor(
    readonly config: RunConfig,
    readonly data: TrainData,
    readonly store: CheckpointStore,
    private readonly onProgress: (p: Progress) => void,
    trainerAndMore: { trainer: GanTrainer; recipe: Recipe; spec: ModelSpec; applied: ReturnType<typeof applyRecipe>; resumedFrom: string | undefined },
  ) {
    this.trainer = trainerAndMore.trainer;
    this.recipe = trainerAndMore.recipe;
    this.spec = trainerAndMore.spec;
    this.applied = trainerAndMore.applied;
    this.resumedFrom = trainerAndMore.resumedFrom;
  }

  /**
   * Builds the run `config` describes on `data`, and resumes it from the store's latest checkpoint when there is one
   * (a reloaded page). Call after a backend is selected.
   */
  static async open(config: RunConfig, data: TrainData, store: CheckpointStore, onProgress: (p: Progress) => void = () => {}): Promise<TrainingSession> {
    const recipe = runRecipe(config, data.channels);
    const conditional = recipe.model.conditional === true || recipe.model.numClasses !== undefined;
    if (conditional && !(data.labels && data.classes && data.classes.length > 0)) {
      throw new Error(`recipe '${recipe.name}' is conditional: it needs images with classes`);
    }
    const numClasses = conditional ? data.classes!.length : undefined;
    const applied = applyRecipe(recipe, { seed: config.seed, ...(numClasses !== undefined ? { numClasses } : {}) });
    let trainer: GanTrainer | undefined;
    try {
      const dataset = new ArrayImageDataset(data.images, {
        height: data.size,
        width: data.size,
        channels: data.channels,
        ...(conditional ? { labels: data.labels!, classes: data.classes! } : {}),
      });
      const source = dataLoaderSource(new DataLoader(dataset, { batchSize: recipe.batchSize, seed: config.seed, shuffle: true }));
      const spec: ModelSpec = { ...recipe.model, seed: config.seed, ...(numClasses !== undefined ? { numClasses } : {}) };
      const session: { current?: TrainingSession } = {};
      const control: TrainerCallback = {
        name: "page",
        onBatchEnd: (ctx, metrics) => session.current!.afterStep(ctx, metrics),
        onTrainEnd: async (ctx, end) => {
          if (end.status !== "failed" && ctx.lastCheckpointStep !== ctx.step) await ctx.saveCheckpoint({ keep: 2 });
        },
      };
      trainer = new GanTrainer({
        ...applied.trainerOptions,
        generator: applied.generator,
        discriminator: applied.discriminator,
        loss: applied.loss,
        data: source,
        store,
        callbacks: [...applied.callbacks, control],
      });
      const resumedFrom = await trainer.resume();
      const s = new TrainingSession(config, data, store, onProgress, { trainer, recipe, spec, applied, resumedFrom });
      session.current = s;
      return s;
    } catch (e) {
      trainer?.dispose();
      applied.dispose();
      throw e;
    }
  }

  /** The trainer's step (the resumed one before training). */
  get step(): number {
    return this.trainer.step;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isRunning(): boolean {
    return this.fitting !== undefined;
  }

  /** Trains until the recipe's epochs are done or {@link TrainingSession.stop}; resolves with the trainer's result. */
  fit(): Promise<TrainResult> {
    if (this.fitting) return this.fitting;
    this.stopRequested = false;
    this.recent = [];
    // A job already running (a grid asked for just before Start, which may hold the EMA's weights in the generator)
    // finishes first.
    this.fitting = this.lock
      .then(() => {
        const fitting = this.trainer.fit();
        if (this.stopRequested) this.trainer.stop(); // stop() while waiting: fit() clears the trainer's own request
        return fitting;
      })
      .finally(() => {
        this.fitting = undefined;
        this.paused = false;
      });
    return this.fitting;
  }

  /** Suspends training after the current step; resolves once a checkpoint of that step is written. */
  pause(): Promise<void> {
    if (!this.fitting) return Promise.resolve();
    this.paused = true;
    return this.run(async () => {
      // Runs at the first step end after the request: the pause loop starts right after this job.
    });
  }

  /** Continues a paused run. */
  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Ends `fit()` after the current step (a checkpoint is written). */
  stop(): Promise<TrainResult | undefined> {
    this.stopRequested = true;
    this.trainer.stop();
    const fitting = this.fitting;
    this.resume();
    return fitting ?? Promise.resolve(undefined);
  }

  /**
   * Runs `job` between two steps (at once when no step runs: not training, or paused); resolves with its result.
   */
  run<T>(job: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const wrapped: Job = async () => {
        try {
          resolve(await job());
        } catch (e) {
          reject(e);
        }
      };
      if (!this.fitting) void this.exclusive(wrapped);
      else {
        this.jobs.push(wrapped);
        this.wake?.();
      }
    });
  }

  /** The sample grids of the fixed noise, from the generator and (when the recipe keeps one) its EMA. */
  samples(): Promise<Samples> {
    return this.run(() => this.drawSamples());
  }

  /** The generator (or its EMA) as `gan export-web` would save it, with a `config.json` for `gan sample`. */
  save(options: { ema?: boolean; backend?: string } = {}): Promise<SavedGenerator> {
    return this.run(() => this.saveNow(options));
  }

  /** Frees the trainer and the models (stop it first). */
  dispose(): void {
    this.trainer.dispose();
    this.applied.dispose();
  }

  private async afterStep(ctx: TrainerContext, metrics: StepMetrics): Promise<void> {
    const now = performance.now();
    this.recent.push([now, metrics.step]);
    while (this.recent.length > 2 && now - this.recent[0][0] > 5000) this.recent.shift();
    const [t0, s0] = this.recent[0];
    const stepsPerSecond = now > t0 ? ((metrics.step - s0) * 1000) / (now - t0) : 0;
    this.onProgress({ step: metrics.step, epoch: metrics.epoch, epochs: ctx.epochs, dLoss: metrics.dLoss, gLoss: metrics.gLoss, stepsPerSecond });

    // Let the event loop run (a worker's messages, such as a pause, arrive as tasks: tfjs's steps only await promises).
    await new Promise((resolve) => setTimeout(resolve, 0));
    const { checkpointEverySteps, checkpointEverySeconds = 30 } = this.config;
    const due = (checkpointEverySteps !== undefined && metrics.step % checkpointEverySteps === 0) || Date.now() - this.lastSave > checkpointEverySeconds * 1000;
    if (due || (this.paused && ctx.lastCheckpointStep !== ctx.step)) await this.checkpoint(ctx);
    await this.runJobs();
    if (this.config.maxSteps !== undefined && metrics.step >= this.config.maxSteps) {
      ctx.stop();
      return;
    }
    if (!this.paused) return;
    while (this.paused && !this.stopRequested) {
      // Jobs queued since the last run (a grid asked for right after the pause) run first; otherwise wait for one.
      if (this.jobs.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      this.wake = undefined;
      await this.runJobs();
    }
    this.recent = [[performance.now(), metrics.step]]; // the speed counts training time, not the pause
  }

  private async checkpoint(ctx: TrainerContext): Promise<void> {
    await ctx.saveCheckpoint({ keep: 2 });
    this.lastSave = Date.now();
  }

  private async runJobs(): Promise<void> {
    while (this.jobs.length > 0) await this.exclusive(this.jobs.shift()!);
  }

  /**
   * Runs jobs one at a time, also those asked for while no step runs. A job can wait on a download mid-way (long on
   * a GPU): meanwhile another must not start, or the EMA grid's weights, swapped into the generator, end up in a
   * saved file, or the generator keeps them.
   */
  private exclusive(job: Job): Promise<void> {
    const done = this.lock.then(job);
    this.lock = done.catch(() => undefined);
    return done;
  }

  private async drawSamples(): Promise<Samples> {
    const { trainer } = this;
    const z = trainer.fixedNoise(SAMPLE_COUNT);
    const labels = trainer.fixedLabels(SAMPLE_COUNT, 4);
    try {
      const draw = async () => {
        const { images, attentionMaps } = trainer.generate(z, labels);
        tf.dispose(attentionMaps);
        const data = (await images.data()) as Float32Array;
        images.dispose();
        return data;
      };
      const generator = await draw();
      const ema = this.applied.ema?.ema;
      return { step: trainer.step, generator, ...(ema ? { ema: await ema.apply(draw) } : {}) };
    } finally {
      tf.dispose([z, ...(labels ? [labels] : [])]);
    }
  }

  private async saveNow(options: { ema?: boolean; backend?: string }): Promise<SavedGenerator> {
    const { trainer, spec, recipe } = this;
    const content = await trainer.exportCheckpoint();
    const file = options.ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator;
    const weights = content.files[file];
    if (!weights) throw new Error(options.ema ? `recipe '${recipe.name}' keeps no EMA generator` : `the checkpoint has no ${file}`);
    const step = trainer.step;
    const checkpoint = checkpointName(step);
    const backend = options.backend ?? tf.getBackend();
    const manifest: WebManifest = {
      format: "gan-web",
      version: 1,
      model: webManifestModel(spec),
      ...(spec.numClasses !== undefined && this.data.classes ? { classes: [...this.data.classes] } : {}),
      imageSize: 64,
      attention: webManifestAttention(spec),
      weights: { file: CHECKPOINT_FILES.generator, bytes: weights.byteLength, sha256: await sha256(weights) },
      source: { run: this.config.id, checkpoint, step, backend, ema: options.ema === true },
      exportedAt: new Date().toISOString(),
    };
    const count = (m: { parameters(): tf.Tensor[] }) => m.parameters().reduce((n, p) => n + p.size, 0);
    const config = {
      trainer: { ...trainer.options },
      models: { zDim: spec.zDim, generatorParameters: count(this.applied.generator), discriminatorParameters: count(this.applied.discriminator) },
      data: { batchSize: recipe.batchSize, batchesPerEpoch: trainer.data.batchesPerEpoch },
      backend,
      versions: { "@tensorflow/tfjs-core": tf.version_core },
      extra: {
        model: spec,
        recipe: recipe.name,
        data: this.config.dataName,
        ...(spec.numClasses !== undefined && this.data.classes ? { classes: [...this.data.classes] } : {}),
        trainedIn: "web-demo train page",
      },
      createdAt: new Date().toISOString(),
    };
    return { weights, manifest, config };
  }
}
