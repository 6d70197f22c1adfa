import { type BackendName, selectBackend } from "@gan/backend/node";
import { Random } from "@gan/layers";
import { loadWeights } from "@gan/layers/node";
import { marginalLabels } from "@gan/metrics/node";
import { type RunExtra, RunExtraSchema } from "@gan/recipes";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { imagesToRgb, readRunConfig, tileGrid } from "@gan/trainer/node";
import { CHECKPOINTS_DIR, encodePng, latestCheckpoint } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { classCountsOf, generatorOf } from "../models";
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
  /**
   * A conditional run: draw every sample of this class (`--class`), given by a class name `config.json` records
   * (`extra.classes`, the class sub-folders it trained on, such as `7`), or else by its label index in
   * [0, numClasses).
   */
  class?: string;
  /** A conditional run: a grid with one row per class, this many samples in each, instead of `n` (`--per-class`). */
  perClass?: number;
  /**
   * A conditional run: draw its whole distribution, the labels in proportion to the images per class it trained
   * on (`extra.classCounts` of its `config.json`; `--marginal`): what an unconditional generator would show. For
   * runs on `gan cluster` folders, whose classes are clusters.
   */
  marginal?: boolean;
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
 * The label of `--class` for a generator with `numClasses` classes named `names`: a recorded name first (a folder
 * named `3-dress` by `3-dress` or `dress`), else an index.
 */
export function classLabel(given: string, numClasses: number, names: readonly string[] | undefined): number {
  let byName = names?.indexOf(given) ?? -1;
  if (byName < 0) byName = names?.findIndex((name) => name.replace(/^\d+-/, "") === given) ?? -1;
  if (byName >= 0 && byName < numClasses) return byName;
  const index = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  if (Number.isSafeInteger(index) && index < numClasses) return index;
  const known = names && names.length > 0 ? `one of the classes ${names.join(", ")} or ` : "";
  throw new Error(`--class: expected ${known}a label index in [0, ${numClasses}), got '${given}'`);
}

/**
 * The labels of the samples of a conditional generator (undefined for an unconditional one, where `--class` and
 * `--per-class` are errors), how many there are and the grid's columns.
 */
function sampleLabels(options: SampleCommandOptions, numClasses: number | undefined, extra: RunExtra | undefined): { labels?: Int32Array; n: number; columns?: number } {
  const names = extra?.classes;
  if (numClasses === undefined) {
    for (const [flag, value] of [
      ["--class", options.class],
      ["--per-class", options.perClass],
      ["--marginal", options.marginal || undefined],
    ] as const) {
      if (value !== undefined) throw new Error(`${flag}: the run's generator is not conditional (train it with 'gan train --conditional')`);
    }
    return { n: options.n };
  }
  const given = [options.class !== undefined && "--class", options.perClass !== undefined && "--per-class", options.marginal && "--marginal"].filter(Boolean);
  if (given.length > 1) throw new Error(`${given.join(" and ")}: give one of them`);
  if (options.marginal) return { labels: marginalLabels(classCountsOf(extra, numClasses, "the run"), options.n), n: options.n };
  if (options.perClass !== undefined) {
    const per = options.perClass;
    return { labels: Int32Array.from({ length: per * numClasses }, (_, i) => Math.floor(i / per)), n: per * numClasses, columns: per };
  }
  if (options.class !== undefined) return { labels: new Int32Array(options.n).fill(classLabel(options.class, numClasses, names)), n: options.n };
  // Neither: the classes in turn.
  return { labels: Int32Array.from({ length: options.n }, (_, i) => i % numClasses), n: options.n };
}

/**
 * `gan sample`: draws `n` images from a trained generator (or, with `ema`, its moving average) into a PNG
 * grid (or single PNGs). A conditional generator draws the classes in turn, every sample of one class (`class`),
 * or a grid with one row per class (`perClass`).
 */
export async function sampleCommand(options: SampleCommandOptions, io: CommandIO): Promise<string[]> {
  await loadPlugins(options.plugin);
  const { weights, runDir } = await locate(options.checkpoint, options.ema);
  if (options.backend) {
    await selectBackend(options.backend, { log: io.log, ...(options.threads ? { threads: options.threads } : {}) });
  }
  const generator = await generatorOf(runDir);
  try {
    const extra = generator.numClasses === undefined ? undefined : (await readRunConfig(runDir, RunExtraSchema)).extra;
    const { labels, n, columns } = sampleLabels(options, generator.numClasses, extra);
    await loadWeights(generator as never, weights);
    generator.eval();
    const images = tf.tidy(() => {
      const z = new Random(options.seed).normal([n, generator.zDim]);
      return generator.forward(z, { attentionMaps: false, ...(labels ? { labels: tf.tensor1d(labels, "int32") } : {}) }).images;
    });
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
      await writeFile(options.out, await encodePng(tileGrid(rgb, { columns: columns ?? Math.ceil(Math.sqrt(rgb.length)) })));
      written.push(options.out);
    }
    const names = extra?.classes;
    const name = (label: number) => names?.[label] ?? String(label);
    const what =
      labels === undefined
        ? ""
        : options.perClass !== undefined
          ? ` (one row per class: ${Array.from({ length: generator.numClasses! }, (_, c) => name(c)).join(", ")})`
          : options.class !== undefined
            ? ` of class ${name(labels[0])}`
            : options.marginal
              ? " (classes in proportion to their images in the training data)"
              : ` (classes in turn: ${Array.from({ length: Math.min(n, generator.numClasses!) }, (_, c) => name(c)).join(", ")})`;
    io.log(`wrote ${n} samples${what} of ${basename(runDir)}${options.ema ? " (EMA generator)" : ""} to ${options.out}`);
    return written;
  } finally {
    generator.dispose();
  }
}
