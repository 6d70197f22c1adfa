import * as v from "valibot";
import { FILE_LIMITS, count, fileObject, intIn, text, validateFile } from "../validation";

/** The RNG state of a `Random` of `@gan/layers`. */
export const RandomStateSchema = v.object({ seed: count(), counter: count() });

/**
 * A running sum of an epoch: a number, or null where JSON wrote a NaN or an infinity, read as 0 (what the
 * arithmetic made of the null before the file was validated).
 */
const total = v.optional(
  v.pipe(
    v.nullable(v.number((i) => `expected a number or null, got ${i.received}`)),
    v.transform((n) => n ?? 0),
  ),
);

/**
 * The schema of a checkpoint's `state.json` (`TrainerCheckpointState`). What the import uses is checked strictly:
 * the format and version, the position (step, epoch, batch) and the RNG state. The running totals may be absent
 * (older checkpoints) or null (a NaN), and the recorded options are kept as written (the resumed trainer uses its
 * own), bounded where they size something. Unknown keys are dropped.
 */
export const TrainerCheckpointStateSchema = fileObject(
  v.object({
  format: v.literal("gan-toolkit/trainer-checkpoint", (i) => `expected "gan-toolkit/trainer-checkpoint" (a @gan/trainer checkpoint), got ${i.received}`),
  version: v.literal(1, (i) => `expected 1, got ${i.received}`),
  step: count(),
  epoch: count(),
  batchInEpoch: count(),
  random: RandomStateSchema,
  data: v.optional(v.unknown()),
  loss: v.optional(v.unknown()),
  epochTotals: v.object({
    steps: total,
    images: total,
    ms: total,
    dLoss: total,
    gLoss: total,
    dReal: total,
    dFake: total,
    dFakeG: total,
  }),
  options: v.object({
    epochs: v.optional(intIn(0, FILE_LIMITS.maxEpochs)),
    seed: v.optional(v.number()),
    gLr: v.optional(v.number()),
    dLr: v.optional(v.number()),
    beta1: v.optional(v.number()),
    beta2: v.optional(v.number()),
    epsilon: v.optional(v.number()),
    dSteps: v.optional(intIn(1, FILE_LIMITS.maxDSteps)),
    scores: v.optional(v.picklist(["sigmoid", "logits"])),
    fixedNoiseSize: v.optional(intIn(1, FILE_LIMITS.maxFixedNoiseSize)),
    loss: v.optional(text()),
  }),
  callbackFiles: v.optional(v.record(v.string(), v.array(text()))),
  time: v.optional(text()),
  }),
);

/** A `state.json` as read and checked: what {@link TrainerCheckpointStateSchema} outputs. */
export type CheckedCheckpointState = v.InferOutput<typeof TrainerCheckpointStateSchema>;

/**
 * Checks a checkpoint's `state.json` content (parsed JSON) against {@link TrainerCheckpointStateSchema}; `file`
 * names it in the error (`…/step-0000012/state.json: random.seed: expected an integer in [0, …], got "x"`).
 */
export function checkCheckpointState(value: unknown, file: string): CheckedCheckpointState {
  return validateFile(TrainerCheckpointStateSchema, value, file);
}
