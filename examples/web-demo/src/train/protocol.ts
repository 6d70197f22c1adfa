/** Messages between the Train page (train.ts) and its Web Worker (worker.ts). */
import type { WebManifest } from "@gan/recipes";
import type { SkippedBackend } from "../backend-choice";
import type { Progress, RunConfig, Samples, TrainData } from "./session";

/** The backends training tries, best first (src/train/backend.ts; cpu is the last resort). */
export const TRAIN_BACKENDS = ["webgpu", "webgl", "wasm", "cpu"] as const;
export type TrainBackend = (typeof TRAIN_BACKENDS)[number];

/** Page → worker. */
export type Request =
  /** Starts the best backend (`backend`, the page's `?backend=`, first; `threads`, its `?threads=`, for wasm); answers `ready`. */
  | { type: "init"; backend?: string; threads?: number }
  /** Builds the run (resuming it from its IndexedDB checkpoints when there are some); answers `opened`. */
  | { type: "open"; config: RunConfig; data: TrainData }
  | { type: "start" }
  | { type: "pause" }
  | { type: "resume" }
  /** Ends training (a checkpoint is written) and frees the run; answers `closed`. */
  | { type: "close" }
  /** Deletes the run's checkpoints (after `close`); answers `closed`. */
  | { type: "discard"; id: string }
  | { type: "samples" }
  | { type: "save"; ema: boolean };

/** Worker → page. */
export type Reply =
  /** The backend training runs on, the ones passed over before it and why, and whether it was asked for. */
  | { type: "ready"; backend: TrainBackend; detail: string; skipped: Array<SkippedBackend<TrainBackend>>; asked: boolean }
  | { type: "opened"; step: number; resumedFrom?: string; recipe: string; description: string; epochs: number; stepsPerEpoch?: number; hasEma: boolean }
  | { type: "progress"; progress: Progress }
  | ({ type: "samples" } & Samples)
  | { type: "paused"; step: number }
  | { type: "resumed" }
  | { type: "done"; status: string; step: number }
  | { type: "saved"; weights: Uint8Array; manifest: WebManifest; config: Record<string, unknown> }
  | { type: "closed" }
  | { type: "error"; message: string };
