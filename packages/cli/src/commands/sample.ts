import { type BackendName, selectBackend } from "@gan/backend/node";
import { Random } from "@gan/layers";
import { loadWeights } from "@gan/layers/node";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { imagesToRgb, tileGrid } from "@gan/trainer/node";
import { CHECKPOINTS_DIR, encodePng, latestCheckpoint } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { generatorOf } from "../models";
import { loadPlugins } from "../plugins";
import type { CommandIO } from "./train";

/** Options of `gan sample`. */
export interface SampleCommandOptions {
  /** A run folder, a checkpoint folder, or a generator `.safetensors` file inside a run. */
  checkpoint: string;
  n: number;
  out: string;
  seed: number;
  individual: boolean;
  /**
   * Draw from the generator's moving average (`generator-ema.safetensors` of the checkpoint, kept by
   * `gan train --ema`) instead of the trained weights (default false). Needs a run or checkpoint folder.
   */
  ema?: boolean;
  plugin: string[];
  /** The tfjs backend (default: whichever is active). */
  backend?: BackendName;
  threads?: number | "auto";
}

/**
 * Finds the generator weights (the EMA ones with `ema`) and the run folder (with config.json) that `path`
 * points into.
 */
async function locate(path: string, ema = false): Promise<{ weights: string; runDir: string }> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`--checkpoint: ${path} does not exist`);
  let weights: string;
  if (statSync(full).isDirectory()) {
    let checkpoint = full;
    if (!existsSync(join(full, CHECKPOINT_FILES.generator))) {
      const latest = await latestCheckpoint(full);
      if (!latest) throw new Error(`--checkpoint: ${path} holds no checkpoint (no ${CHECKPOINTS_DIR}/ with a complete step)`);
      checkpoint = latest;
    }
    weights = join(checkpoint, ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator);
    if (ema && !existsSync(weights)) {
      throw new Error(`--ema: checkpoint ${checkpoint} has no ${EMA_GENERATOR_FILE} (train with --ema to keep one)`);
    }
  } else if (ema) {
    throw new Error(`--ema: --checkpoint ${path} is a weights file; pass a run or checkpoint folder to draw from its ${EMA_GENERATOR_FILE}`);
  } else weights = full;
  for (let dir = dirname(weights); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "config.json"))) return { weights, runDir: dir };
    if (dirname(dir) === dir) throw new Error(`--checkpoint: no config.json of a run above ${path}, so the model cannot be rebuilt`);
  }
}

/**
 * `gan sample`: draws `n` images from a trained generator (or, with `ema`, its moving average) into a PNG
 * grid (or single PNGs).
 */
export async function sampleCommand(options: SampleCommandOptions, io: CommandIO): Promise<string[]> {
  await loadPlugins(options.plugin);
  const { weights, runDir } = await locate(options.checkpoint, options.ema);
  if (options.backend) {
    await selectBackend(options.backend, { log: io.log, ...(options.threads ? { threads: options.threads } : {}) });
  }
  const generator = await generatorOf(runDir);
  try {
    await loadWeights(generator as never, weights);
    generator.eval();
    const images = tf.tidy(() => generator.forward(new Random(options.seed).normal([options.n, generator.zDim]), { attentionMaps: false }).images);
    const rgb = imagesToRgb(images);
    images.dispose();
    const written: string[] = [];
    if (options.individual) {
      await mkdir(options.out, { recursive: true });
      for (let i = 0; i < rgb.length; i++) {
        const file = join(options.out, `sample-${String(i).padStart(4, "0")}.png`);
        await writeFile(file, await encodePng(rgb[i]));
        written.push(file);
      }
    } else {
      await mkdir(dirname(resolve(options.out)), { recursive: true });
      await writeFile(options.out, await encodePng(tileGrid(rgb, { columns: Math.ceil(Math.sqrt(rgb.length)) })));
      written.push(options.out);
    }
    io.log(`wrote ${options.n} samples of ${basename(runDir)}${options.ema ? " (EMA generator)" : ""} to ${options.out}`);
    return written;
  } finally {
    generator.dispose();
  }
}
