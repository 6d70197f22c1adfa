import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { GanTrainer } from "../../gan-trainer";
import ownPackage from "../../../package.json";

/** The file of a run folder that records how the run was configured. */
export const CONFIG_FILE = "config.json";

/** What `config.json` holds. */
export interface RunConfig {
  /** The trainer's options after defaults. */
  trainer: GanTrainer["options"];
  /** Facts about the models and data the trainer could see. */
  models: {
    zDim: number;
    generatorParameters: number;
    discriminatorParameters: number;
  };
  data: { batchSize?: number; batchesPerEpoch?: number };
  /** `tf.getBackend()` when the run started. */
  backend: string;
  /** Versions of the packages involved (ours, tfjs-core, Node). */
  versions: Record<string, string>;
  /** Whatever the caller added (model and data options, the command line...). */
  extra: Record<string, unknown>;
  /** When the run started, ISO 8601. */
  createdAt: string;
}

/** Packages whose version `config.json` records when they can be resolved from here. */
const KNOWN_PACKAGES = ["@gan/spec", "@gan/layers", "@gan/losses", "@gan/dcgan", "@gan/sagan", "@gan/data", "@gan/recipes", "@gan/metrics", "@gan/backend", "@gan/cli", "sharp"];

/**
 * Versions of `@gan/trainer`, `@tensorflow/tfjs-core` (as loaded), Node, and every known `@gan/*` package (and
 * sharp) resolvable from this package or from the working directory; `extra` entries win.
 */
export function packageVersions(extra: Record<string, string> = {}): Record<string, string> {
  const versions: Record<string, string> = {
    "@gan/trainer": ownPackage.version,
    "@tensorflow/tfjs-core": tf.version_core,
    node: process.versions.node,
  };
  const requirers = [createRequire(path.join(process.cwd(), "noop.js"))];
  try {
    requirers.unshift(createRequire(import.meta.url));
  } catch {
    // No module URL (an unusual bundle): the working directory is enough.
  }
  for (const name of KNOWN_PACKAGES) {
    for (const req of requirers) {
      try {
        versions[name] = (req(`${name}/package.json`) as { version: string }).version;
        break;
      } catch {
        // Not installed where this requirer looks.
      }
    }
  }
  return { ...versions, ...extra };
}

/** The content of `config.json` for a trainer. */
export function runConfig(trainer: GanTrainer, extra: Record<string, unknown> = {}, versions: Record<string, string> = {}): RunConfig {
  const count = (vars: tf.Variable[]) => vars.reduce((n, v) => n + v.size, 0);
  return {
    trainer: { ...trainer.options },
    models: {
      zDim: trainer.generator.zDim,
      generatorParameters: count(trainer.generator.parameters()),
      discriminatorParameters: count(trainer.discriminator.parameters()),
    },
    data: { batchSize: trainer.data.batchSize, batchesPerEpoch: trainer.data.batchesPerEpoch },
    backend: tf.getBackend(),
    versions: packageVersions(versions),
    extra,
    createdAt: new Date().toISOString(),
  };
}

/** Reads a run's `config.json`. */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  const file = path.join(runDir, CONFIG_FILE);
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as RunConfig;
  } catch (e) {
    throw new Error(`${file}: cannot read the run config (${(e as Error).message})`);
  }
}
