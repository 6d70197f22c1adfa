import { type ImageScorer, Random, withDiffAugment } from "@gan/layers";
import { type TrainerCallback, parseJsonFile } from "@gan/trainer";
import { DiffAugmentStateSchema } from "./diff-augment-state-schema";
import type { TrainingSetup } from "./training-setup";

/** The checkpoint file that holds DiffAugment's random state, so that a resumed run draws the same augmentations. */
export const DIFF_AUGMENT_STATE_FILE = "diff-augment.json";

/** Saves DiffAugment's random stream with every checkpoint and takes it back on resume. */
export function diffAugmentState(policy: string, random: Random): TrainerCallback {
  return {
    name: "diff-augment",
    state: () => ({ [DIFF_AUGMENT_STATE_FILE]: new TextEncoder().encode(`${JSON.stringify({ policy, random: random.getState() })}\n`) }),
    restore(files) {
      const bytes = files[DIFF_AUGMENT_STATE_FILE];
      if (!bytes) return; // A checkpoint written without DiffAugment: the stream starts fresh.
      const saved = parseJsonFile(DiffAugmentStateSchema, new TextDecoder().decode(bytes), DIFF_AUGMENT_STATE_FILE);
      random.setState(saved.random);
    },
  };
}

/**
 * Wraps `discriminator` with the DiffAugment of `training` (a no-op when it has none), drawing from a random
 * stream of its own seeded from `seed`, and returns the callback that keeps that stream in checkpoints.
 */
export function addDiffAugment(discriminator: ImageScorer, training: TrainingSetup, seed: number): TrainerCallback | undefined {
  if (!training.diffAugment) return undefined;
  const random = new Random((seed ^ 0x0d1ffa09) >>> 0);
  withDiffAugment(discriminator, { policy: training.diffAugment, random, translationRatio: training.diffAugmentTranslation });
  return diffAugmentState(training.diffAugment, random);
}
