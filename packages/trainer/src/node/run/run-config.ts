import * as fs from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as v from "valibot";
import type { GanTrainer } from "../../gan-trainer";
import { parseJsonFile } from "../../validation";
import { RunConfigSchema, runConfigSchema } from "./run-config-schema";
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
  /** `tf.getBackend()` when the run started (`tensorflow` for tfjs-node and tfjs-node-gpu alike). */
  backend: string;
  /**
   * With the `tensorflow` backend: whether libtensorflow runs on a GPU (tfjs-node's `isUsingGpuDevice`; false for
   * tfjs-node, and for tfjs-node-gpu when it found no usable CUDA device). Absent with other backends.
   */
  gpu?: boolean;
  /** Versions of the packages involved (ours, tfjs-core, Node). */
  versions: Record<string, string>;
  /** Whatever the caller added (model and data options, the command line...). */
  extra: Record<string, unknown>;
  /** When the run started, ISO 8601. */
  createdAt: string;
  /** One entry per resume, oldest first (absent until the run is first resumed). */
  history?: ResumeRecord[];
}

/** The options a resume may change, each as `{ from, to }` (the value before and after it). */
export interface ResumeOverrides {
  epochs?: { from: number; to: number };
  gLr?: { from: number; to: number };
  dLr?: { from: number; to: number };
}

/** What `config.json`'s `history` records of one resume. */
export interface ResumeRecord {
  /** When the run was resumed, ISO 8601. */
  time: string;
  /** The step of the checkpoint it resumed from. */
  step: number;
  /** The checkpoint it resumed from (`step-0000120`). */
  checkpoint: string;
  /** The options the resume changed (empty when none). */
  overrides: ResumeOverrides;
}

/** The options a resume may change: the epoch count and the learning rates. */
export const RESUME_OVERRIDABLE = ["epochs", "gLr", "dLr"] as const;

/** How `options` differ from the recorded trainer options in the {@link RESUME_OVERRIDABLE} options. */
export function resumeOverrides(recorded: Partial<GanTrainer["options"]>, options: GanTrainer["options"]): ResumeOverrides {
  const out: ResumeOverrides = {};
  for (const key of RESUME_OVERRIDABLE) {
    const from = recorded[key];
    if (from !== undefined && from !== options[key]) out[key] = { from, to: options[key] };
  }
  return out;
}

/**
 * `config.json` after a resume: the trainer's options take the overridden values, `extra` the caller's new
 * entries, and `history` gains `record`; everything else stays as the run recorded it.
 */
export function resumedRunConfig(recorded: RunConfig, record: ResumeRecord, extra: Record<string, unknown> = {}): RunConfig {
  const trainer = { ...recorded.trainer };
  for (const [key, change] of Object.entries(record.overrides) as Array<[keyof ResumeOverrides, { to: number }]>) trainer[key] = change.to;
  return { ...recorded, trainer, extra: { ...recorded.extra, ...extra }, history: [...(recorded.history ?? []), record] };
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

/** `isUsingGpuDevice` of the `tensorflow` backend (tfjs-node, tfjs-node-gpu); undefined with any other backend. */
function nativeGpu(): boolean | undefined {
  if (tf.getBackend() !== "tensorflow") return undefined;
  const flag = (tf.backend() as unknown as { isUsingGpuDevice?: unknown }).isUsingGpuDevice;
  return typeof flag === "boolean" ? flag : undefined;
}

/** The content of `config.json` for a trainer. */
export function runConfig(trainer: GanTrainer, extra: Record<string, unknown> = {}, versions: Record<string, string> = {}): RunConfig {
  const count = (vars: tf.Variable[]) => vars.reduce((n, v) => n + v.size, 0);
  const gpu = nativeGpu();
  return {
    trainer: { ...trainer.options },
    models: {
      zDim: trainer.generator.zDim,
      generatorParameters: count(trainer.generator.parameters()),
      discriminatorParameters: count(trainer.discriminator.parameters()),
    },
    data: { batchSize: trainer.data.batchSize, batchesPerEpoch: trainer.data.batchesPerEpoch },
    backend: tf.getBackend(),
    ...(gpu === undefined ? {} : { gpu }),
    versions: packageVersions(versions),
    extra,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Reads a run's `config.json` and validates it against {@link RunConfigSchema} (with `extra` checked by
 * `extraSchema` when given, as `RunExtraSchema` of `@gan/recipes`) before anything uses it. Errors name the file
 * and the first failing field: `runs/x/config.json: extra.model.width: expected an integer in [1, 256], got 1000`.
 * Fields that files of earlier versions lack read as undefined.
 */
export async function readRunConfig<E = Record<string, unknown>>(runDir: string, extraSchema?: v.GenericSchema<unknown, E>): Promise<RunConfig & { extra: E }> {
  const file = path.join(runDir, CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read the run config (${(e as Error).message})`);
  }
  return parseJsonFile(extraSchema ? runConfigSchema(extraSchema) : RunConfigSchema, text, file) as RunConfig & { extra: E };
}
