import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import type { GanGenerator } from "@gan/spec";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE, latestCheckpoint } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { type EvalResult, evaluateGenerator } from "./evaluate";

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
}

/** What {@link evalCommand} resolves with. */
export interface EvalCommandResult extends EvalResult {
  checkpoint: string;
  weights: string;
}

/**
 * `gan eval`: scores a trained generator. Finds the newest checkpoint of `run`, builds the generator with
 * `buildGenerator(runDir)` (the CLI rebuilds it from the run's `config.json`), loads its weights (or the EMA
 * ones), draws `n` samples and prints FID, KID, purity and balance against `n` held-out real digits.
 */
export async function evalCommand(
  options: EvalCommandOptions,
  buildGenerator: (runDir: string) => GanGenerator | Promise<GanGenerator>,
  io: { log(line: string): void } = console,
): Promise<EvalCommandResult> {
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
    const result = await evaluateGenerator(generator, { n: options.n ?? 400, seed: options.seed ?? 0, digits: options.digits });
    io.log(formatEvalResult(result, `${path.basename(runDir)} ${path.basename(checkpoint)}${options.ema ? " (EMA)" : ""}`));
    return { ...result, checkpoint, weights };
  } finally {
    generator.dispose();
  }
}

/** One line: `name: n=400 FID 12.3 KID 0.0123 purity 0.93 balance 0.48 (7: 0.48, 8: 0.52)`. */
export function formatEvalResult(r: EvalResult, name = "eval"): string {
  const shares = r.digits.map((d, i) => `${d}: ${r.shares[i].toFixed(2)}`).join(", ");
  return `${name}: n=${r.n} FID ${r.fid.toFixed(2)} KID ${r.kid.toFixed(4)} purity ${r.purity.toFixed(3)} balance ${r.balance.toFixed(2)} (${shares}) [${r.seconds.toFixed(1)} s]`;
}
