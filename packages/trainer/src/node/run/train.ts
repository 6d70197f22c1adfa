import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { TrainerCallback } from "../../callback";
import { type CheckpointingOptions, checkpointing } from "../../callbacks/checkpointing";
import { type ProgressLogOptions, progressLog } from "../../callbacks/progress-log";
import { GanTrainer } from "../../gan-trainer";
import type { TrainResult } from "../../training-loop";
import type { GanTrainerOptions } from "../../options";
import { writeFileAtomic } from "../atomic-fs";
import { type AttentionMapsOptions, attentionMaps } from "../callbacks/attention-maps";
import { type LossPlotOptions, lossPlot } from "../callbacks/loss-plot";
import { metricsLog } from "../callbacks/metrics-log";
import { type SampleImagesOptions, sampleImages } from "../callbacks/sample-images";
import { FileCheckpointStore } from "../file-checkpoint-store";
import { checkResumedOptions, resumableRun, resumeTrainer } from "./resume";
import { CONFIG_FILE, resumeOverrides, resumedRunConfig, runConfig } from "./run-config";

/** Options of the standard callbacks; `false` leaves one out. */
export interface DefaultCallbackOptions {
  /** Shorthand: draw samples and attention maps every this many epochs (default 1); their own options win. */
  sampleEvery?: number;
  /** Shorthand: checkpoints kept (default 3); `checkpoints.keep` wins. */
  keepCheckpoints?: number;
  /** `metrics.jsonl` (default on). */
  metrics?: boolean;
  /** `samples/` grids (default every epoch). */
  samples?: SampleImagesOptions | false;
  /** `attention/` figures (default every epoch, for models with attention). */
  attention?: AttentionMapsOptions | false;
  /** `losses.png` (default every epoch). */
  lossPlot?: LossPlotOptions | false;
  /** `checkpoints/` (default every epoch, keep 3). */
  checkpoints?: CheckpointingOptions | false;
  /**
   * Progress lines ({@link progressLog}: step, epoch, steps/s, ETA and the last losses), a first one at the start,
   * then every 10 seconds, and one at the end, to `console.log` (default on). `{ everySeconds, log,
   * timeLimitSeconds }` configures them; `false` silences them (the CLI draws a progress bar instead).
   */
  progress?: ProgressLogOptions | boolean;
}

/**
 * The standard plugins, in the order they run: metrics log, sample grids, attention maps, loss plot,
 * checkpoints (so a checkpoint is written after everything an epoch produces), progress lines (named
 * `progress`).
 */
export function defaultCallbacks(options: DefaultCallbackOptions = {}): TrainerCallback[] {
  const out: TrainerCallback[] = [];
  const every = options.sampleEvery === undefined ? {} : { everyEpochs: options.sampleEvery };
  const keep = options.keepCheckpoints === undefined ? {} : { keep: options.keepCheckpoints };
  if (options.metrics !== false) out.push(metricsLog());
  if (options.samples !== false) out.push(sampleImages({ ...every, ...options.samples }));
  if (options.attention !== false) out.push(attentionMaps({ ...every, ...options.attention }));
  if (options.lossPlot !== false) out.push(lossPlot(options.lossPlot ?? {}));
  if (options.checkpoints !== false) out.push(checkpointing({ ...keep, ...options.checkpoints }));
  if (options.progress !== false) out.push(progressLog(options.progress === true || options.progress === undefined ? {} : options.progress));
  return out;
}

/** Options of {@link train}. */
export interface TrainOptions extends Omit<GanTrainerOptions, "runDir" | "store" | "callbacks">, DefaultCallbackOptions {
  /** The run folder (created if needed). */
  runDir: string;
  /**
   * Continue from the newest checkpoint in `runDir` (default false). Without it, a `runDir` that already holds
   * checkpoints is an error, so a finished run is never overwritten by accident. With it, a `runDir` that is
   * missing, holds no checkpoint or has no `config.json` is an error (never a fresh run); the batch size, `seed`,
   * betas, ε, `dSteps` and `loss` must be the recorded ones, and a new `epochs`, `gLr` or `dLr` is an override,
   * logged in `config.json`'s `history` (see the README's "Resume").
   */
  resume?: boolean;
  /**
   * With `resume`: the checkpoint to continue from (`step-0000120`) instead of the newest, e.g. the previous good
   * one an `UnusableCheckpointError` offers. Later checkpoints are replaced as the run catches up.
   */
  resumeFrom?: string;
  /**
   * Extra callbacks run after the standard ones, or a function that receives the standard ones and returns the
   * list to use (to reorder, replace or drop some).
   */
  callbacks?: TrainerCallback[] | ((defaults: TrainerCallback[]) => TrainerCallback[]);
  /** Recorded under `extra` in `config.json` (model and data options, the command line...). */
  config?: Record<string, unknown>;
  /** More package versions for `config.json` (e.g. the CLI's own). */
  packageVersions?: Record<string, string>;
}

/** What {@link train} resolves with. */
export interface TrainRunResult extends TrainResult {
  /** The run folder. */
  runDir: string;
  /** The checkpoint the run resumed from, if any. */
  resumedFrom?: string;
}

/**
 * Trains with the standard run folder layout: creates `runDir`, writes `config.json` (every resolved option,
 * package versions, backend), wires the standard callbacks (metrics, samples, attention, loss plot,
 * checkpoints, in a {@link FileCheckpointStore} of `runDir`, and progress lines to `console.log` unless
 * `progress: false`) plus yours, resumes when asked, runs {@link GanTrainer.fit} and frees the trainer's own
 * tensors (not the models). Rejects like `fit()`.
 */
export async function train(options: TrainOptions): Promise<TrainRunResult> {
  const { runDir, resume, resumeFrom, callbacks, config, packageVersions, metrics, samples, attention, lossPlot: plot, checkpoints, progress, sampleEvery, keepCheckpoints, ...rest } =
    options;
  if (!runDir) throw new Error("train: option 'runDir' is required");
  const defaults = defaultCallbacks({ metrics, samples, attention, lossPlot: plot, checkpoints, progress, sampleEvery, keepCheckpoints });
  const chosen = typeof callbacks === "function" ? callbacks(defaults) : [...defaults, ...(callbacks ?? [])];

  const store = new FileCheckpointStore(runDir);
  const existing = await store.latest();
  if (existing && !resume) {
    throw new Error(`train: ${runDir} already holds checkpoints (latest ${store.locate(existing)}); pass resume: true to continue it or choose a new runDir`);
  }
  if (resumeFrom !== undefined && !resume) throw new Error("train: option 'resumeFrom' needs resume: true");
  const recorded = resume ? await resumableRun(runDir, store) : undefined;
  await fs.mkdir(runDir, { recursive: true });
  const trainer = new GanTrainer({ ...rest, runDir, store, callbacks: chosen });
  try {
    const configFile = path.join(runDir, CONFIG_FILE);
    let resumedFrom: string | undefined;
    if (recorded) {
      checkResumedOptions(recorded, trainer, runDir);
      resumedFrom = await resumeTrainer(trainer, store, resumeFrom);
      const record = { time: new Date().toISOString(), step: trainer.step, checkpoint: path.basename(resumedFrom), overrides: resumeOverrides(recorded.trainer, trainer.options) };
      await writeFileAtomic(configFile, `${JSON.stringify(resumedRunConfig(recorded, record, config), null, 2)}\n`);
    } else {
      await writeFileAtomic(configFile, `${JSON.stringify(runConfig(trainer, config, packageVersions), null, 2)}\n`);
    }
    const result = await trainer.fit();
    return { ...result, runDir, ...(resumedFrom ? { resumedFrom } : {}) };
  } finally {
    trainer.dispose();
  }
}
