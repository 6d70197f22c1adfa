import { stat } from "node:fs/promises";
import { DataLoader } from "@gan/data";
import { ImageFolder } from "@gan/data/node";
import { evalCallback } from "@gan/metrics/node";
import { type DataSource, type ProgressLogOptions, type TrainerCallback, dataLoaderSource } from "@gan/trainer";
import { type TrainRunResult, sampleImages, train } from "@gan/trainer/node";
import { applyRecipe } from "./apply-recipe";
import { isConditional } from "./model-spec";
import { defaultSampleEvery } from "./sample-cadence";
import type { Recipe } from "./recipe";
import type { TrainingSetup } from "./training-setup";

/** The run folder's folder of sample grids drawn with the EMA generator. */
export const EMA_SAMPLES_FOLDER = "samples-ema";

/** Options of {@link trainRecipe}. */
export interface TrainRecipeOptions {
  /**
   * A folder of images (decoded, resized to 64×64 and normalised by `ImageFolder`), or your own data source. A
   * conditional recipe (`model.conditional` or `model.numClasses`) opens the folder with its class sub-folders as
   * labels (`gan prepare mnist` writes `0/` … `9/`); a data source must then yield labelled batches and name its
   * `classes`.
   */
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
  /**
   * Sample grids, attention maps and the loss plot every this many epochs (default: every epoch, or the fewest
   * epochs that span 50 steps when epochs are shorter: {@link defaultSampleEvery}).
   */
  sampleEvery?: number;
  /**
   * The early grids: a run (fresh or resumed) that has drawn no grid yet draws `samples/step-NNNNNNN.png` and
   * `samples-ema/step-NNNNNNN.png` once it has trained this many seconds (default 30; `false`: epoch grids only).
   * `sampleImages`' `firstAfterSeconds`.
   */
  firstSamplesAfterSeconds?: number | false;
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
   * Progress lines (`progressLog` of `@gan/trainer`, through `train()`'s `progress` option: step, steps/s, ETA,
   * losses every 10 s; the ETA heeds `maxMinutes`) to `console.log` (default), to this function, with these
   * options, or none (`false`).
   */
  progress?: boolean | ((line: string) => void) | ProgressLogOptions;
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
 * `metrics.jsonl`), prints progress lines every 10 seconds (`progress`) and draws the first grids after 30 seconds
 * of training (`firstSamplesAfterSeconds`), records the model and training setup in `config.json` (`extra.model`,
 * `extra.training`) so that `gan sample`, `gan eval` and `gan train --resume` rebuild them, and runs `train()` of
 * `@gan/trainer/node`. What `gan train --recipe` and `gan demo` do.
 *
 * A conditional recipe trains class-conditional nets on the data's classes: `model.conditional: true` takes
 * `numClasses` from them; `config.json` records `extra.model.numClasses`, the class names (`extra.classes`) and, when
 * the data tells them, the images per class (`extra.classCounts`, the weights `gan sample --marginal` draws by), the
 * sample grids show one class per row, and the evaluation asks for every class (`conditionalAccuracy`).
 *
 * ```ts
 * await trainRecipe(recipes.fast, { data: "data/img_78", runDir: "runs/fast", maxMinutes: 5 });
 * ```
 */
export async function trainRecipe(recipe: Recipe, options: TrainRecipeOptions): Promise<TrainRunResult> {
  const seed = options.seed ?? 0;
  const conditional = isConditional(recipe.model);
  const data = typeof options.data === "string" ? await openImageFolder(options.data, recipe, seed) : options.data;
  const classes = conditional ? dataClasses(data, recipe) : undefined;
  const numClasses = recipe.model.numClasses ?? classes?.length;
  const evaluation = recipe.training.eval;
  const scoring = evaluation && options.evaluate !== false && recipe.model.channels === 1 ? evalScope(evaluation, classes, conditional) : undefined;
  const run = applyRecipe(recipe, { seed, ...(numClasses !== undefined ? { numClasses } : {}) });
  const sampleEvery = options.sampleEvery ?? defaultSampleEvery(data.batchesPerEpoch, run.trainerOptions.dSteps);
  const firstAfter = options.firstSamplesAfterSeconds === undefined ? {} : { firstAfterSeconds: options.firstSamplesAfterSeconds };
  // A conditional generator's grids: one class per row.
  const grid = numClasses === undefined ? {} : conditionalGrid(numClasses);
  const callbacks: TrainerCallback[] = [...run.callbacks];
  if (run.ema) callbacks.push(sampleImages({ everyEpochs: sampleEvery, ema: run.ema, folder: EMA_SAMPLES_FOLDER, showReal: false, ...grid, ...firstAfter }));
  if (evaluation && scoring) {
    callbacks.push(evalCallback({ everyEpochs: evaluation.everyEpochs, n: evaluation.n, ...scoring, ...(run.ema ? { ema: run.ema } : {}) }));
  }
  callbacks.push(...(options.callbacks ?? []));
  const progress = progressOptions(options);

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
      samples: { everyEpochs: sampleEvery, ...grid, ...firstAfter },
      attention: { everyEpochs: sampleEvery },
      // The loss plot at the same cadence: a long run redrawing it every epoch grew the process's memory (README of @gan/trainer).
      lossPlot: { everyEpochs: sampleEvery },
      checkpoints: { everyEpochs: options.checkpointEvery ?? sampleEvery, keep: options.keep ?? 2 },
      callbacks,
      progress,
      config: {
        recipe: recipe.name,
        model: { ...recipe.model, seed, ...(numClasses !== undefined ? { numClasses } : {}) },
        training: run.training,
        ...(classes ? { classes: [...classes] } : {}),
        ...(classes && data.classCounts ? { classCounts: [...data.classCounts] } : {}),
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

/** `train()`'s `progress` option for {@link trainRecipe}'s: a log function becomes `{ log }`, `maxMinutes` the time limit. */
function progressOptions(options: TrainRecipeOptions): ProgressLogOptions | false {
  const progress = options.progress ?? true;
  if (progress === false) return false;
  const given = progress === true ? {} : typeof progress === "function" ? { log: progress } : progress;
  return options.maxMinutes === undefined ? given : { timeLimitSeconds: options.maxMinutes * 60, ...given };
}

/**
 * Opens an image folder for `recipe`: its channels, 64×64, its batch size, shuffled from `seed`; labelled by class
 * sub-folder for a conditional recipe.
 */
async function openImageFolder(dir: string, recipe: Recipe, seed: number): Promise<DataSource> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`data: ${dir} does not exist (prepare it with 'gan prepare mnist78 --out ${dir}' or prepareMnist())`);
  if (!info.isDirectory()) throw new Error(`data: ${dir} is a file, expected a folder of images`);
  const labels = isConditional(recipe.model);
  const dataset = await ImageFolder.open(dir, { channels: recipe.model.channels, size: 64, ...(labels ? { labels: true } : {}) });
  return dataLoaderSource(new DataLoader(dataset, { batchSize: recipe.batchSize, seed, shuffle: true }));
}

/** The class names of a conditional recipe's data, checked against the recipe's `numClasses`. */
function dataClasses(data: DataSource, recipe: Recipe): readonly string[] {
  const classes = data.classes;
  if (classes === undefined || classes.length === 0) {
    throw new Error(
      "data: a conditional recipe trains on labelled images, but the data has no classes; give a folder with one sub-folder per class (as 'gan prepare mnist' writes: 0/ … 9/) or a labelled data source",
    );
  }
  const k = recipe.model.numClasses;
  if (k !== undefined && classes.length > k) {
    throw new Error(`data: ${classes.length} classes (${classes.join(", ")}) but the recipe's model.numClasses is ${k}`);
  }
  return classes;
}

/** Sample grids of a conditional generator: one class per row, as many columns as fit 64 images (at most 8). */
export function conditionalGrid(numClasses: number): { count: number; columns: number } {
  const columns = Math.max(1, Math.min(8, Math.floor(64 / numClasses)));
  return { columns, count: Math.min(64, columns * numClasses) };
}

/**
 * What the evaluation scores: the recipe's data set (default MNIST) and classes; for a conditional run the classes
 * its class folders are named by (`7/`, `8/` → classes 7 and 8, the generator's labels 0 and 1: `classLabels:
 * "index"`; Fashion-MNIST's `0-t-shirt-top/` … `9-ankle-boot/` by their leading number), whose per-class accuracy
 * it reports. Exported for tests.
 */
export function evalScope(
  evaluation: NonNullable<TrainingSetup["eval"]>,
  classNames: readonly string[] | undefined,
  conditional: boolean,
): { dataset: "mnist" | "fashion-mnist"; classes?: number[]; conditional?: boolean; classLabels?: "index" } {
  const dataset = evaluation.dataset ?? "mnist";
  const numbered = classNames?.every((c) => /^[0-9](-|$)/.test(c)) ? classNames.map((c) => Number(c[0])) : undefined;
  if (!conditional) return { dataset, ...(evaluation.classes ? { classes: evaluation.classes } : {}) };
  if (!numbered) {
    throw new Error(
      `eval: a conditional run is scored per class, so its class folders must be named by the ${dataset} class numbers 0–9 (as 'gan prepare mnist' writes them), got ${classNames?.join(", ")}; train without evaluation (evaluate: false, 'gan train --no-eval')`,
    );
  }
  if (evaluation.classes && evaluation.classes.join(",") !== numbered.join(",")) {
    throw new Error(`eval.classes: ${evaluation.classes.join(",")} differ from the data's class folders ${numbered.join(",")}`);
  }
  return { dataset, classes: numbered, conditional: true, classLabels: "index" };
}
