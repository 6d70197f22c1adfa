import type { TrainerCallback } from "../callback";
import { checkEvery } from "./schedule";

/** Options of {@link checkpointing}. */
export interface CheckpointingOptions {
  /** Save after every this many epochs (default 1). */
  everyEpochs?: number;
  /** Also save after every this many steps (default: only at epoch ends). */
  everySteps?: number;
  /** Checkpoints kept; older ones are deleted (default 3). */
  keep?: number;
}

/**
 * Saves checkpoints into the trainer's checkpoint store (see {@link GanTrainer.saveCheckpoint}): every
 * `everyEpochs` epochs, every `everySteps` steps if set, and when the run completes or is aborted. A run that
 * fails (a non-finite or exploding loss, an error) writes nothing, and a state with NaN or ±Infinity in its
 * weights or optimizer state is never written (the save fails the run), so the latest checkpoint stays the last
 * good one.
 */
export function checkpointing(options: CheckpointingOptions = {}): TrainerCallback {
  const everyEpochs = checkEvery(options.everyEpochs ?? 1, "checkpointing: option 'everyEpochs'");
  const everySteps = options.everySteps === undefined ? undefined : checkEvery(options.everySteps, "checkpointing: option 'everySteps'");
  const keep = checkEvery(options.keep ?? 3, "checkpointing: option 'keep'");
  return {
    name: "checkpoints",
    onTrainStart(ctx) {
      if (!ctx.canCheckpoint) throw new Error("checkpointing: the trainer has no checkpoint store; set the store option (train() sets one for its runDir)");
    },
    async onBatchEnd(ctx) {
      if (everySteps !== undefined && ctx.step % everySteps === 0) await ctx.saveCheckpoint({ keep });
    },
    async onEpochEnd(ctx) {
      if ((ctx.epoch + 1) % everyEpochs === 0 && ctx.lastCheckpointStep !== ctx.step) await ctx.saveCheckpoint({ keep });
    },
    async onTrainEnd(ctx, end) {
      if (end.status === "failed") return;
      if (ctx.lastCheckpointStep !== ctx.step) await ctx.saveCheckpoint({ keep });
    },
  };
}
