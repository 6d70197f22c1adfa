import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import type { GanGenerator } from "@gan/spec";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { imagesToRgb, type RgbImage, tileGrid } from "@gan/trainer/node";
import { encodePng, latestCheckpoint, writeFileAtomic } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { type EvalResult, sampleGenerator, scoreImages } from "./evaluate";
import { formatRejected, type RejectedSamples, rejectedSamples } from "./rejected";

/** Options of {@link evalCommand} (`gan eval`). */
export interface EvalCommandOptions {
  /** A run folder (its newest checkpoint is used) or a checkpoint folder. */
  run: string;
  /** Samples and real reference digits (default 400). Scores are comparable only at equal n. */
  n?: number;
  /** Seed of the latent codes (default 0). */
  seed?: number;
  /** Evaluate `generator-ema.safetensors` instead of `generator.safetensors` (default false). */
  ema?: boolean;
  /** Digits the run trained on (default `[7, 8]`). */
  digits?: number[];
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
 * ones), draws `n` samples and prints FID, KID, purity and balance against `n` held-out real digits. With
 * `rejected`, also writes a grid of the samples that fail the purity test and logs what the classifier called them.
 */
export async function evalCommand(
  options: EvalCommandOptions,
  buildGenerator: (runDir: string) => GanGenerator | Promise<GanGenerator>,
  io: { log(line: string): void } = console,
): Promise<EvalCommandResult> {
  if (options.rejected !== undefined) await prepareRejectedFile(options.rejected);
  const full = path.resolve(options.run);
  const isCheckpoint = path.basename(full).startsWith("step-");
  const checkpoint = isCheckpoint ? full : await latestCheckpoint(full);
  if (!checkpoint) throw new Error(`gan eval: ${options.run} holds no checkpoint`);
  const runDir = isCheckpoint ? path.dirname(path.dirname(full)) : full;
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
    const images = sampleGenerator(generator, n, options.seed ?? 0);
    try {
      const { result, probs, threshold } = await scoreImages(images, { n, digits: options.digits });
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

/** One line: `name: n=400 FID 12.3 KID 0.0123 purity 0.93 balance 0.48 (7: 0.48, 8: 0.52)`. */
export function formatEvalResult(r: EvalResult, name = "eval"): string {
  const shares = r.digits.map((d, i) => `${d}: ${r.shares[i].toFixed(2)}`).join(", ");
  return `${name}: n=${r.n} FID ${r.fid.toFixed(2)} KID ${r.kid.toFixed(4)} purity ${r.purity.toFixed(3)} balance ${r.balance.toFixed(2)} (${shares}) [${r.seconds.toFixed(1)} s]`;
}
