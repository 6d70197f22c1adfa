/** Where and how a run diverged: what every {@link DivergenceError} carries. */
export interface DivergenceDetails {
  /** The iteration that produced the bad state (1-based, as `step` in `metrics.jsonl`). */
  step: number;
  /** Epoch index, 0-based. */
  epoch: number;
  /** Batches of the epoch consumed including this step's, when the error is about a step. */
  batch?: number;
  /** Batches per epoch, when known. */
  batchesPerEpoch?: number;
  /** The learning rates the run used (lower ones are the usual cure). */
  gLr: number;
  dLr: number;
  /** The newest checkpoint in the store, which the failure left untouched, if any (where `CheckpointStore.locate` puts it). */
  lastCheckpoint?: string;
}

/** Where a non-finite or exploding loss appeared. */
export interface NonFiniteLossDetails extends DivergenceDetails {
  batch: number;
  /** The loss values of the step. */
  dLoss: number;
  gLoss: number;
}

/** A tensor of a training state with NaN or ±Infinity in it. */
export interface NonFiniteTensor {
  /** The checkpoint file it belongs to (`optimizer-discriminator.safetensors`...). */
  file: string;
  /** Its name in that file (`net.0.weight/v`...). */
  tensor: string;
  /** How many of its values are not finite. */
  count: number;
}

/** What {@link NonFiniteCheckpointError} carries. */
export interface NonFiniteCheckpointDetails extends DivergenceDetails {
  /** Every tensor with non-finite values, in file order. */
  tensors: NonFiniteTensor[];
}

/**
 * A run that diverged: a loss that is not finite ({@link NonFiniteLossError}), one beyond `maxLoss`
 * ({@link ExplodingLossError}), or a training state with NaN or ±Infinity that the trainer refused to
 * checkpoint ({@link NonFiniteCheckpointError}). The trainer writes no checkpoint of that state; the last good
 * one stays the latest, and `details.lastCheckpoint` says where it is.
 */
export abstract class DivergenceError extends Error {
  /** What stopped the run: a NaN or infinite loss, a loss beyond `maxLoss`, or a non-finite state at a checkpoint. */
  abstract readonly reason: "non-finite-loss" | "exploding-loss" | "non-finite-checkpoint";
  /** Where it happened, the learning rates, and the last good checkpoint. */
  abstract readonly details: DivergenceDetails;

  /**
   * What went wrong, where, in one clause without advice, e.g.
   * `the discriminator loss (dLoss) is 1.5e37 at step 123 (epoch 4, batch 3/7), beyond maxLoss 10000`.
   */
  abstract readonly summary: string;

  /** The message: the summary, the last good checkpoint and what to do. */
  protected describe(details: DivergenceDetails): string {
    const kept = details.lastCheckpoint ? `the last good checkpoint is ${details.lastCheckpoint}` : "there is no earlier checkpoint";
    return (
      `Training diverged: ${this.summary}. No checkpoint of this state was written; ${kept}. ` +
      `Resume with lower learning rates (now gLr ${formatValue(details.gLr)}, dLr ${formatValue(details.dLr)}), ` +
      "or check the data (values in [-1, 1]) and the model's initialisation."
    );
  }
}

/**
 * Thrown (the run's promise rejects with it) when the discriminator or generator loss is NaN or ±Infinity.
 * The trainer writes no checkpoint of that state; the last good one stays the `latest`.
 */
export class NonFiniteLossError extends DivergenceError {
  readonly reason = "non-finite-loss";
  /** Which losses were not finite: `"dLoss"`, `"gLoss"` or both. */
  readonly losses: ReadonlyArray<"dLoss" | "gLoss">;
  readonly details: NonFiniteLossDetails;
  readonly summary: string;

  constructor(details: NonFiniteLossDetails) {
    super();
    this.losses = badLosses(details, (v) => !Number.isFinite(v));
    this.details = details;
    this.summary = `${describeLosses(details, this.losses)} at ${stepOf(details)}`;
    this.message = this.describe(details);
    this.name = "NonFiniteLossError";
  }
}

/**
 * Thrown when a finite discriminator or generator loss's absolute value exceeds the trainer's `maxLoss`
 * (default {@link DEFAULT_MAX_LOSS}): the run is diverging even though nothing is NaN yet. No checkpoint of that
 * state is written.
 */
export class ExplodingLossError extends DivergenceError {
  readonly reason = "exploding-loss";
  /** Which losses were beyond `maxLoss`: `"dLoss"`, `"gLoss"` or both. */
  readonly losses: ReadonlyArray<"dLoss" | "gLoss">;
  readonly details: NonFiniteLossDetails & { maxLoss: number };
  readonly summary: string;

  constructor(details: NonFiniteLossDetails & { maxLoss: number }) {
    super();
    this.losses = badLosses(details, (v) => Math.abs(v) > details.maxLoss);
    this.details = details;
    this.summary = `${describeLosses(details, this.losses)} at ${stepOf(details)}, beyond maxLoss ${formatValue(details.maxLoss)}`;
    this.message = this.describe(details);
    this.name = "ExplodingLossError";
  }
}

/**
 * Thrown by `saveCheckpoint()` (and so by a run whose `checkpointing()` saves) when a model's weights or buffers
 * or an optimizer's state hold NaN or ±Infinity: such a checkpoint would diverge again at once when resumed, so
 * it is not written, and the previous one stays the latest.
 */
export class NonFiniteCheckpointError extends DivergenceError {
  readonly reason = "non-finite-checkpoint";
  readonly details: NonFiniteCheckpointDetails;
  readonly summary: string;

  constructor(details: NonFiniteCheckpointDetails) {
    super();
    this.details = details;
    const total = details.tensors.reduce((n, t) => n + t.count, 0);
    const shown = details.tensors.slice(0, 3).map((t) => `${t.file}: ${t.tensor}`);
    const more = details.tensors.length > shown.length ? `, and ${details.tensors.length - shown.length} more` : "";
    this.summary = `the training state at step ${details.step} (epoch ${details.epoch}) holds ${total} non-finite values in ${details.tensors.length} tensors (${shown.join(", ")}${more})`;
    this.message = this.describe(details);
    this.name = "NonFiniteCheckpointError";
  }
}

/** The default `maxLoss` of the trainer: far above any loss of a healthy run (see the trainer README). */
export const DEFAULT_MAX_LOSS = 1e4;

/** A loss or learning rate for a message: 3 significant digits, `1.5e37` rather than `1.5e+37`. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const rounded = Number(value.toPrecision(3));
  const abs = Math.abs(rounded);
  return abs !== 0 && (abs >= 1e4 || abs < 1e-3) ? rounded.toExponential().replace("e+", "e") : String(rounded);
}

function badLosses(values: { dLoss: number; gLoss: number }, bad: (v: number) => boolean): Array<"dLoss" | "gLoss"> {
  return (["dLoss", "gLoss"] as const).filter((k) => bad(values[k]));
}

function describeLosses(values: { dLoss: number; gLoss: number }, which: ReadonlyArray<"dLoss" | "gLoss">): string {
  return which.map((k) => `the ${k === "dLoss" ? "discriminator" : "generator"} loss (${k}) is ${formatValue(values[k])}`).join(" and ");
}

function stepOf(d: NonFiniteLossDetails): string {
  return `step ${d.step} (epoch ${d.epoch}, batch ${d.batch}${d.batchesPerEpoch ? `/${d.batchesPerEpoch}` : ""})`;
}
