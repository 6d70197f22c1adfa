/** Where a non-finite loss appeared. */
export interface NonFiniteLossDetails {
  /** The iteration that produced it (1-based, as `step` in `metrics.jsonl`). */
  step: number;
  /** Epoch index, 0-based. */
  epoch: number;
  /** Batches of the epoch consumed including this step's. */
  batch: number;
  /** Batches per epoch, when known. */
  batchesPerEpoch?: number;
  /** The loss values of the step. */
  dLoss: number;
  gLoss: number;
  /** The newest checkpoint on disk, which the failure left untouched, if any. */
  lastCheckpoint?: string;
}

/**
 * Thrown (the run's promise rejects with it) when the discriminator or generator loss is NaN or ±Infinity.
 * The trainer writes no checkpoint of that state; the last good one stays the `latest`.
 */
export class NonFiniteLossError extends Error {
  /** Which losses were not finite: `"dLoss"`, `"gLoss"` or both. */
  readonly losses: ReadonlyArray<"dLoss" | "gLoss">;
  readonly details: NonFiniteLossDetails;

  constructor(details: NonFiniteLossDetails) {
    const bad: Array<"dLoss" | "gLoss"> = [];
    if (!Number.isFinite(details.dLoss)) bad.push("dLoss");
    if (!Number.isFinite(details.gLoss)) bad.push("gLoss");
    const what = bad
      .map((k) => `the ${k === "dLoss" ? "discriminator" : "generator"} loss (${k}) is ${details[k]}`)
      .join(" and ");
    const where = `step ${details.step} (epoch ${details.epoch}, batch ${details.batch}${details.batchesPerEpoch ? `/${details.batchesPerEpoch}` : ""})`;
    const kept = details.lastCheckpoint
      ? `the last good checkpoint is ${details.lastCheckpoint}`
      : "there is no earlier checkpoint";
    super(
      `Training stopped at ${where}: ${what}. No checkpoint of this state was written; ${kept}. ` +
        "Lower the learning rates or check the data (values in [-1, 1]) and the model's initialisation.",
    );
    this.name = "NonFiniteLossError";
    this.losses = bad;
    this.details = details;
  }
}
