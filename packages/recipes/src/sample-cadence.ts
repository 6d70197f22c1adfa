import { stepsPerEpoch } from "@gan/trainer";

/** The fewest training steps between two default sample grids (and checkpoints): short epochs are grouped until they span this many. */
export const DEFAULT_STEPS_BETWEEN_SAMPLES = 50;

/**
 * Epochs between sample grids, attention maps, loss plots and checkpoints when none is asked for: every epoch, or,
 * when an epoch is shorter than {@link DEFAULT_STEPS_BETWEEN_SAMPLES} steps, the fewest whole epochs that span that
 * many. A 166-image folder at batch 32 with two D batches per step trains 3 steps an epoch, so its grids come every
 * 17 epochs (51 steps) instead of every second. With an epoch length the data does not tell: every epoch.
 *
 * @param batchesPerEpoch - the data's batches per epoch (`DataSource.batchesPerEpoch`), if known
 * @param dSteps - D batches per training step (the recipe's `training.dSteps`)
 */
export function defaultSampleEvery(batchesPerEpoch: number | undefined, dSteps: number): number {
  // dSteps below 1 (refused by the trainer) counts as 1, so that the cadence is always a whole number of epochs ≥ 1.
  const steps = stepsPerEpoch(batchesPerEpoch, Math.max(1, dSteps));
  return steps === undefined || !(steps > 0) ? 1 : Math.ceil(DEFAULT_STEPS_BETWEEN_SAMPLES / steps);
}
