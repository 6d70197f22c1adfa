/**
 * What one training iteration (`dSteps` discriminator steps and one generator step) measured. One such
 * record per step goes to `metrics.jsonl`.
 *
 * `dReal`, `dFake` and `dFakeG` are the discriminator's mean score on real images, on the fakes of the D
 * step and on the fakes of the G step. The score is `sigmoid(logit)` (a probability) when the trainer's
 * `scores` option is `"sigmoid"` (the default for BCE losses) and the raw logit otherwise (the default for
 * hinge and other losses, whose logits are not log-odds).
 */
export interface StepMetrics {
  readonly type: "step";
  /** Epoch index, 0-based. */
  readonly epoch: number;
  /** Iterations completed in the whole run, this one included (1 after the first). */
  readonly step: number;
  /** Batches of this epoch consumed so far, this step's included. */
  readonly batch: number;
  /** Batches per epoch, when the data source knows. */
  readonly batchesPerEpoch?: number;
  /** Real images this step consumed (all D steps together). */
  readonly images: number;
  /** The discriminator's loss (mean over the step's D steps). */
  readonly dLoss: number;
  /** The generator's loss. */
  readonly gLoss: number;
  /** Mean D score on real images. */
  readonly dReal: number;
  /** Mean D score on generated images in the D step. */
  readonly dFake: number;
  /** Mean D score on generated images in the G step (after D's update). */
  readonly dFakeG: number;
  /** Milliseconds of computation (D and G steps, reading the losses back). */
  readonly stepMs: number;
  /** Milliseconds spent waiting for the data source. */
  readonly dataMs: number;
  /** Real images per second over `stepMs + dataMs`. */
  readonly imagesPerSec: number;
  /** Wall-clock time the step ended, ISO 8601. */
  readonly time: string;
}

/** Averages over the steps of one epoch (true means over batches, not sums divided by the batch size). */
export interface EpochMetrics {
  readonly type: "epoch";
  /** Epoch index, 0-based. */
  readonly epoch: number;
  /** Iterations completed in the whole run at the end of this epoch. */
  readonly step: number;
  /** Steps in this epoch. */
  readonly steps: number;
  /** Real images consumed in this epoch. */
  readonly images: number;
  /** Mean of the steps' `dLoss`. */
  readonly dLoss: number;
  /** Mean of the steps' `gLoss`. */
  readonly gLoss: number;
  /** Mean of the steps' `dReal`. */
  readonly dReal: number;
  /** Mean of the steps' `dFake`. */
  readonly dFake: number;
  /** Mean of the steps' `dFakeG`. */
  readonly dFakeG: number;
  /** Milliseconds the epoch's steps took, data waits included (summed across a resume). */
  readonly epochMs: number;
  /** Real images per second over the epoch. */
  readonly imagesPerSec: number;
  /** Wall-clock time the epoch ended, ISO 8601. */
  readonly time: string;
}

/** Running sums of an epoch's step metrics; stored in checkpoints so an epoch split by a resume averages right. */
export interface EpochTotals {
  steps: number;
  images: number;
  ms: number;
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
  dFakeG: number;
}

/** Totals of an epoch that has not begun. */
export function emptyEpochTotals(): EpochTotals {
  return { steps: 0, images: 0, ms: 0, dLoss: 0, gLoss: 0, dReal: 0, dFake: 0, dFakeG: 0 };
}

/** Adds one step to `totals` (in place). */
export function addStep(totals: EpochTotals, m: StepMetrics): void {
  totals.steps += 1;
  totals.images += m.images;
  totals.ms += m.stepMs + m.dataMs;
  totals.dLoss += m.dLoss;
  totals.gLoss += m.gLoss;
  totals.dReal += m.dReal;
  totals.dFake += m.dFake;
  totals.dFakeG += m.dFakeG;
}

/** The epoch's averages from its totals. An epoch without steps reports NaN means. */
export function epochMetrics(epoch: number, step: number, totals: EpochTotals): EpochMetrics {
  const n = totals.steps;
  const mean = (sum: number) => (n > 0 ? sum / n : Number.NaN);
  return {
    type: "epoch",
    epoch,
    step,
    steps: n,
    images: totals.images,
    dLoss: mean(totals.dLoss),
    gLoss: mean(totals.gLoss),
    dReal: mean(totals.dReal),
    dFake: mean(totals.dFake),
    dFakeG: mean(totals.dFakeG),
    epochMs: totals.ms,
    imagesPerSec: totals.ms > 0 ? (totals.images * 1000) / totals.ms : 0,
    time: new Date().toISOString(),
  };
}
