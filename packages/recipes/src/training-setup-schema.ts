import { diffAugmentPolicy } from "@gan/layers";
import { LOSS_NAMES } from "@gan/losses";
import { FILE_LIMITS, count, intIn, numberIn, text } from "@gan/trainer";
import * as v from "valibot";

/** The data sets an evaluation can score against (`METRIC_DATASET_NAMES` of `@gan/metrics`). */
export const EVAL_DATASETS = ["mnist", "fashion-mnist"] as const;
/** One of {@link EVAL_DATASETS}. */
export type EvalDatasetName = (typeof EVAL_DATASETS)[number];

/** Upper bounds on what a training setup can size: `eval.n`, the samples generated for each evaluation. */
export const TRAINING_LIMITS = {
  /** Most samples per evaluation (FID's customary 50,000). */
  maxEvalSamples: 50_000,
} as const;

const positive = numberIn(0, Number.MAX_VALUE, { min: true });

/** A DiffAugment policy: comma-separated transforms of `@gan/layers`, at least one. */
const policy = v.pipe(
  text(),
  v.check((p) => {
    try {
      return diffAugmentPolicy(p).length > 0;
    } catch {
      return false;
    }
  }, (i) => `expected comma-separated DiffAugment transforms such as color,translation, got ${i.received}`),
);

/**
 * The schema of a {@link TrainingSetup}: what `config.json` records under `extra.training` and a recipe holds.
 * The same rules as `checkTrainingSetup`, with `eval.n` at most {@link TRAINING_LIMITS}`.maxEvalSamples` and
 * `dSteps` at most `FILE_LIMITS.maxDSteps` of `@gan/trainer`; unknown keys are dropped.
 */
export const TrainingSetupSchema = v.pipe(
  v.object({
    loss: v.optional(v.pipe(text(), v.check((l) => LOSS_NAMES.includes(l), (i) => `expected one of ${LOSS_NAMES.join(", ")}, got ${i.received}`))),
    gLr: v.optional(positive),
    dLr: v.optional(positive),
    beta1: v.optional(numberIn(0, 1, { max: true })),
    beta2: v.optional(numberIn(0, 1, { max: true })),
    dSteps: v.optional(intIn(1, FILE_LIMITS.maxDSteps)),
    ema: v.optional(v.object({ decay: numberIn(0, 1), startStep: count(), warmup: v.optional(v.boolean((i) => `expected true or false, got ${i.received}`)) })),
    diffAugment: v.optional(policy),
    diffAugmentTranslation: v.optional(numberIn(0, 0.5, { min: true })),
    lecam: v.optional(positive),
    eval: v.optional(
      v.object({
        everyEpochs: intIn(1, FILE_LIMITS.maxEpochs),
        n: intIn(2, TRAINING_LIMITS.maxEvalSamples),
        dataset: v.optional(v.picklist(EVAL_DATASETS, (i) => `expected one of ${EVAL_DATASETS.join(", ")}, got ${i.received}`)),
        classes: v.optional(
          v.pipe(
            v.array(intIn(0, 9), (i) => `expected a list of classes among 0–9, got ${i.received}`),
            v.minLength(1, (i) => `expected at least one class, got ${i.received}`),
            v.check((a) => new Set(a).size === a.length, (i) => `expected distinct classes, got ${i.received}`),
          ),
        ),
      }),
    ),
  }),
  v.check(
    (s) => s.diffAugmentTranslation === undefined || (s.diffAugment?.split(",").includes("translation") ?? false),
    () => "expected diffAugmentTranslation only with translation in diffAugment",
  ),
);
