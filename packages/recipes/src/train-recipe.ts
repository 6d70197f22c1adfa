import { stat } from "node:fs/promises";
import { DataLoader } from "@gan/data";
import { ImageFolder } from "@gan/data/node";
import { evalCallback } from "@gan/metrics/node";
import { type DataSource, type TrainerCallback, dataLoaderSource, progressLog } from "@gan/trainer";
import { type TrainRunResult, sampleImages, train } from "@gan/trainer/node";
import { applyRecipe } from "./apply-recipe";
import type { Recipe } from "./recipe";

/** The run folder's folder of sample grids drawn with the EMA generator. */
export const EMA_SAMPLES_FOLDER = "samples-ema";

/** Options of {@link trainRecipe}. */
export interface TrainRecipeOptions {
  /** A folder of images (decoded, resized to 64×64 and normalised by `ImageFolder`), or your own data source. */
  data: string | DataSource;
  /** The run folder: config.json, metrics.jsonl, samples/, attention/, losses.png, checkpoints/. */
  runDir: string;
  /** Seeds the weights, the latent codes, the data order and DiffAugment (default 0). */
  seed?: number;
  /**
   * Continue from the newest checkpoint in `runDir` (default false): an error when `runDir` has no checkpoint or
   * no `config.json`; a new `epochs` or learning rate is logged in `config.json`'s history (`train()`'s `resume`).
   */
  resume?: boolean;
  /** With `resume`: the checkpoint to continue from (`step-0000120`) instead of the newest. */
  resumeFrom?: string;
  /** Stop after this many minutes (with a checkpoint; status `"aborted"`). */
  maxMinutes?: number;
  /** Stops the run after the current step. */
  signal?: AbortSignal;
  /** Sample grids and attention maps every this many epochs (default: the recipe's evaluation cadence, else 5). */
  sampleEvery?: number;
  /** Checkpoints every this many epochs (default: as `sampleEvery`). */
  checkpointEvery?: number;
  /** Checkpoints kept (default 2). */
  keep?: number;
  /**
   * Score FID, KID, purity and balance as the recipe's `training.eval` says (default true; grayscale digits
   * only: a 3-channel recipe is never scored).
   */
  evaluate?: boolean;
  /**
   * Progress lines (`progressLog` of `@gan/trainer`: step, steps/s, ETA, losses every 10 s) to `console.log`
   * (default), to this function, or none (`false`).
   */
  progress?: boolean | ((line: string) => void);
  /** Callbacks run after the recipe's (a progress bar, your logger...). */
  callbacks?: TrainerCallback[];
  /** More to record under `extra` in `config.json`. */
  config?: Record<string, unknown>;
  /** More package versions for `config.json`. */
  packageVersions?: Record<string, string>;
}

/**
 * Trains `recipe` in Node with the standard run folder: applies it ({@link applyRecipe}), adds sample grids of
 * the EMA generator (`samples-ema/`) and the evaluation the recipe asks for (`fid.png`, scores in
 * `metrics.jsonl`), records the model and training setup in `config.json` (`extra.model`, `extra.training`) so
 * that `gan sample`, `gan eval` and `gan train --resume` rebuild them, and runs `train()` of
 * `@gan/trainer/node`. What `gan train --recipe` and `gan demo` do.
 *
 * ```ts
 * await trainRecipe(recipes.fast, { data: "data/img_78", runDir: "runs/fast", maxMinutes: 5 });
 * ```
 */
export async function trainRecipe(recipe: Recipe, options: TrainRecipeOptions): Promise<TrainRunResult> {
  const seed = options.seed ?? 0;
  const data = typeof options.data === "string" ? await openImageFolder(options.data, recipe, seed) : options.data;
  const run = applyRecipe(recipe, { seed });
  const sampleEvery = options.sampleEvery ?? run.training.eval?.everyEpochs ?? 5;
  const callbacks: TrainerCallback[] = [...run.callbacks];
  if (run.ema) callbacks.push(sampleImages({ everyEpochs: sampleEvery, ema: run.ema, folder: EMA_SAMPLES_FOLDER, showReal: false }));
  const evaluation = run.training.eval;
  if (evaluation && options.evaluate !== false && recipe.model.channels === 1) {
    callbacks.push(evalCallback({ everyEpochs: evaluation.everyEpochs, n: evaluation.n, ...(run.ema ? { ema: run.ema } : {}) }));
  }
  const progress = options.progress ?? true;
  if (progress !== false) callbacks.push(progressLog(typeof progress === "function" ? { log: progress } : {}));
  callbacks.push(...(options.callbacks ?? []));

  const controller = new AbortController();
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop);
  if (options.signal?.aborted) controller.abort();
  const timer = options.maxMinutes === undefined ? undefined : setTimeout(stop, options.maxMinutes * 60_000);
  try {
    return await train({
      ...run.trainerOptions,
      generator: run.generator,
      discriminator: run.discriminator,
      loss: run.loss,
      data,
      runDir: options.runDir,
      resume: options.resume ?? false,
      ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
      signal: controller.signal,
      samples: { everyEpochs: sampleEvery },
      attention: { everyEpochs: sampleEvery },
      // The loss plot at the same cadence: a long run redrawing it every epoch grew the process's memory (README of @gan/trainer).
      lossPlot: { everyEpochs: sampleEvery },
      checkpoints: { everyEpochs: options.checkpointEvery ?? sampleEvery, keep: options.keep ?? 2 },
      callbacks,
      config: {
        recipe: recipe.name,
        model: { ...recipe.model, seed },
        training: run.training,
        ...(typeof options.data === "string" ? { data: options.data } : {}),
        ...options.config,
      },
      ...(options.packageVersions ? { packageVersions: options.packageVersions } : {}),
    });
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
    run.dispose();
  }
}

/** Opens an image folder for `recipe`: its channels, 64×64, its batch size, shuffled from `seed`. */
async function openImageFolder(dir: string, recipe: Recipe, seed: number): Promise<DataSource> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`data: ${dir} does not exist (prepare it with 'gan prepare mnist78 --out ${dir}' or prepareMnist())`);
  if (!info.isDirectory()) throw new Error(`data: ${dir} is a file, expected a folder of images`);
  const dataset = await ImageFolder.open(dir, { channels: recipe.model.channels, size: 64 });
  return dataLoaderSource(new DataLoader(dataset, { batchSize: recipe.batchSize, seed, shuffle: true }));
}
