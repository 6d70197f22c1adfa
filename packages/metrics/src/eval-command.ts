import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import type { GanGenerator } from "@gan/spec";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { imagesToRgb, type RgbImage, tileGrid } from "@gan/trainer/node";
import { encodePng, latestCheckpoint, writeFileAtomic } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import type { MetricDatasetName } from "./datasets";
import { type EvalResult, sampleForEvaluation, scoreImages } from "./evaluate";
import { formatRejected, type RejectedSamples, rejectedSamples } from "./rejected";

/** Options of {@link evalCommand} (`gan eval`). */
export interface EvalCommandOptions {
  /** A run folder (its newest checkpoint is used) or a checkpoint folder. */
  run: string;
  /** Samples and real reference images (default 400). Scores are comparable only at equal n. */
  n?: number;
  /** Seed of the latent codes (default 0). */
  seed?: number;
  /** Evaluate `generator-ema.safetensors` instead of `generator.safetensors` (default false). */
  ema?: boolean;
  /**
   * The data set the run trained on (default `"mnist"`): its classifier and real reference images (see
   * `METRIC_DATASETS`; `fashion-mnist` needs Debian's `dataset-fashion-mnist`).
   */
  dataset?: MetricDatasetName;
  /** Classes the run trained on (default: the data set's, `[7, 8]` for MNIST, all ten for Fashion-MNIST). */
  classes?: number[];
  /** The former name of `classes` (used when `classes` is not given). */
  digits?: number[];
  /**
   * Draw class-conditional samples (labels balanced over the classes) and report conditional and per-class
   * accuracy. Default: when the generator declares `numClasses`. See `EvaluateOptions.conditional`.
   */
  conditional?: boolean;
  /** The conditional generator's label for a class: the class itself (default) or its index in `classes`. */
  classLabels?: "class" | "index";
  /**
   * Score a conditional generator's whole distribution: labels in proportion to these weights (`gan eval
   * --marginal` passes the run's `extra.classCounts`), no conditional accuracy. See `EvaluateOptions.labelWeights`.
   */
  labelWeights?: readonly number[];
  /**
   * A `.png` file: draw the samples that fail the purity test into it (the first {@link REJECTED_GRID_MAX}, in
   * sample order, {@link REJECTED_GRID_COLUMNS} to a row) and log what the classifier called them. No file is
   * written when every sample passes. The scores are the same as without it.
   */
  rejected?: string;
}

/** What {@link evalCommand} resolves with. */
export interface EvalCommandResult extends EvalResult {
  checkpoint: string;
  weights: string;
  /** With the `rejected` option: the samples that fail the purity test, and the grid written (absent when none failed). */
  rejected?: RejectedSamples & { image?: string };
}

/** The most rejected samples the `rejected` grid shows (the first ones, in sample order). */
export const REJECTED_GRID_MAX = 64;
/** Tiles per row of the `rejected` grid. */
export const REJECTED_GRID_COLUMNS = 8;

/**
 * `gan eval`: scores a trained generator. Finds the newest checkpoint of `run`, builds the generator with
 * `buildGenerator(runDir)` (the CLI rebuilds it from the run's `config.json`), loads its weights (or the EMA
 * ones), draws `n` samples and prints FID, KID, purity, balance and coverage against `n` held-out real images of
 * `dataset` (default MNIST 7s and 8s), and conditional accuracy for a conditional generator. With
 * `rejected`, also writes a grid of the samples that fail the purity test and logs what the classifier called them.
 */
export async function evalCommand(
  options: EvalCommandOptions,
  buildGenerator: (runDir: string) => GanGenerator | Promise<GanGenerator>,
  io: { log(line: string): void } = console,
): Promise<EvalCommandResult> {
  if (options.rejected !== undefined) await prepareRejectedFile(options.rejected);
  const full = path.resolve(options.run);
  const runDir = evalRunDir(options.run);
  const checkpoint = runDir === full ? await latestCheckpoint(full) : full;
  if (!checkpoint) throw new Error(`gan eval: ${options.run} holds no checkpoint`);
  const weights = path.join(checkpoint, options.ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator);
  const bytes = await fs.readFile(weights).catch((e: Error) => {
    throw new Error(`gan eval: cannot read ${weights}${options.ema ? " (was the run trained with --ema?)" : ""}: ${e.message}`);
  });
  const generator = await buildGenerator(runDir);
  try {
    const { tensors } = decodeSafetensors(bytes, weights);
    try {
      generator.loadStateDict(tensors, { strict: true });
    } finally {
      tf.dispose(Object.values(tensors));
    }
    // What evaluateGenerator does, keeping the samples and their probabilities for `rejected`.
    const n = options.n ?? 400;
    const scoring = {
      n,
      seed: options.seed ?? 0,
      dataset: options.dataset,
      classes: options.classes,
      digits: options.digits,
      conditional: options.conditional,
      classLabels: options.classLabels,
      labelWeights: options.labelWeights,
    };
    const { images, requestedLabels } = sampleForEvaluation(generator, scoring);
    try {
      const { result, probs, threshold } = await scoreImages(images, { ...scoring, requestedLabels });
      io.log(formatEvalResult(result, `${path.basename(runDir)} ${path.basename(checkpoint)}${options.ema ? " (EMA)" : ""}`));
      if (options.rejected === undefined) return { ...result, checkpoint, weights };
      const rejected = rejectedSamples(probs, result.digits, threshold);
      if (rejected.indices.length === 0) {
        io.log(`${formatRejected(rejected)}: every sample passes the purity test, ${options.rejected} not written`);
        return { ...result, checkpoint, weights, rejected };
      }
      const image = path.resolve(options.rejected);
      const shown = await writeRejectedGrid(images, rejected.indices, image);
      const more = shown < rejected.indices.length ? ` (the first ${shown})` : "";
      io.log(`${formatRejected(rejected)} → ${options.rejected}${more}`);
      return { ...result, checkpoint, weights, rejected: { ...rejected, image } };
    } finally {
      images.dispose();
    }
  } finally {
    generator.dispose();
  }
}

/**
 * The run folder of `gan eval --run`'s `run`: `run` itself, or the run that holds it when it is one of the run's
 * checkpoint folders (`…/checkpoints/step-NNNNNNN`). Absolute.
 */
export function evalRunDir(run: string): string {
  const full = path.resolve(run);
  return path.basename(full).startsWith("step-") ? path.dirname(path.dirname(full)) : full;
}

/** Checks the `rejected` path before the evaluation (a `.png` name, not a folder) and creates its folder. */
async function prepareRejectedFile(file: string): Promise<void> {
  if (path.extname(file).toLowerCase() !== ".png") throw new Error(`gan eval: --rejected: expected a .png file, got '${file}'`);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isDirectory()) throw new Error(`gan eval: --rejected: ${file} is a folder, expected a .png file`);
  const dir = path.dirname(path.resolve(file));
  await fs.mkdir(dir, { recursive: true }).catch((e: Error) => {
    throw new Error(`gan eval: --rejected: cannot create the folder ${dir}: ${e.message}`);
  });
}

/**
 * Writes the first {@link REJECTED_GRID_MAX} of the samples `indices` of `images` as a PNG grid to `file`
 * (atomically). Returns how many it drew.
 */
async function writeRejectedGrid(images: tf.Tensor4D, indices: readonly number[], file: string): Promise<number> {
  const shown = indices.slice(0, REJECTED_GRID_MAX);
  const picked = tf.tidy(() => tf.gather(images, shown));
  let tiles: RgbImage[];
  try {
    tiles = imagesToRgb(picked);
  } finally {
    picked.dispose();
  }
  await writeFileAtomic(file, await encodePng(tileGrid(tiles, { columns: REJECTED_GRID_COLUMNS })));
  return shown.length;
}

/**
 * One line: `name: n=400 FID 12.3 KID 0.0123 purity 0.93 balance 0.48 (7: 0.48, 8: 0.52) coverage 2/2 [1.2 s]`;
 * for a data set other than MNIST its name follows `name:` (`eval: fashion-mnist n=400 …`), and conditional
 * samples add `accuracy 0.91 (0: 0.88, 1: 0.97, …)` (conditional accuracy, then per class) before the time.
 */
export function formatEvalResult(r: EvalResult, name = "eval"): string {
  const classes = r.classes ?? r.digits;
  const shares = classes.map((d, i) => `${d}: ${r.shares[i].toFixed(2)}`).join(", ");
  const dataset = r.dataset && r.dataset !== "mnist" ? ` ${r.dataset}` : "";
  const cov = r.coverage !== undefined ? ` coverage ${r.coverage}/${classes.length}` : "";
  const acc =
    r.conditionalAccuracy !== undefined
      ? ` accuracy ${r.conditionalAccuracy.toFixed(3)}${
          r.perClassAccuracy
            ? ` (${Object.entries(r.perClassAccuracy)
                .map(([c, a]) => `${c}: ${a.toFixed(2)}`)
                .join(", ")})`
            : ""
        }`
      : "";
  return `${name}:${dataset} n=${r.n} FID ${r.fid.toFixed(2)} KID ${r.kid.toFixed(4)} purity ${r.purity.toFixed(3)} balance ${r.balance.toFixed(2)} (${shares})${cov}${acc} [${r.seconds.toFixed(1)} s]`;
}
