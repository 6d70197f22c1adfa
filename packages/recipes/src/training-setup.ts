import { diffAugmentPolicy } from "@gan/layers";
import { LOSS_NAMES } from "@gan/losses";
import { TRAINER_DEFAULTS } from "@gan/trainer";
import type { ModelName } from "./model-spec";
import { EVAL_DATASETS, type EvalDatasetName, TRAINING_LIMITS } from "./training-setup-schema";

export { EVAL_DATASETS, type EvalDatasetName };

/**
 * How a recipe trains, beside its nets: the loss, the optimisers, D steps per G step and the training aids.
 * What `gan train` records in `config.json` (`extra.training`) so that `--resume` trains on the same way. An
 * absent aid is off; an absent loss, learning rate, beta or D-step count is the article's (see
 * {@link resolveTrainingSetup}).
 */
export interface TrainingSetup {
  /** A built-in loss by name (`lossByName` of `@gan/losses`): `bce`, `bce-minimax` or `hinge`. */
  loss?: string;
  /** Generator learning rate (Adam). */
  gLr?: number;
  /** Discriminator learning rate (Adam). */
  dLr?: number;
  /** Adam β1 of both optimisers. */
  beta1?: number;
  /** Adam β2 of both optimisers. */
  beta2?: number;
  /** Discriminator steps per generator step. */
  dSteps?: number;
  /**
   * An exponential moving average of the generator (`generatorEma` of `@gan/trainer`), used for sampling. Its decay
   * is warmed up (`min(decay, (1 + n) / (10 + n))` after n averaging updates) unless `warmup` is `false`.
   */
  ema?: { decay: number; startStep: number; warmup?: boolean };
  /** DiffAugment on everything D sees: comma-separated transforms of `@gan/layers` (`color,translation`). */
  diffAugment?: string;
  /** DiffAugment's largest translation as a fraction of the side; absent means the paper's 0.125. */
  diffAugmentTranslation?: number;
  /** LeCam regularisation of D's loss (`withLeCam` of `@gan/losses`) with this weight. */
  lecam?: number;
  /**
   * Scores (FID, KID, purity, balance; conditional accuracy for a conditional model) every `everyEpochs` epochs from
   * `n` samples, where an evaluator exists. `dataset`: the data set whose classifier and real images score them
   * (`mnist`, the default, or `fashion-mnist`; `METRIC_DATASET_NAMES` of `@gan/metrics`); `classes`: the classes the
   * run trains on (default: the data's class folders when they are named by class number, else the data set's
   * default, 7 and 8 for MNIST).
   */
  eval?: { everyEpochs: number; n: number; dataset?: EvalDatasetName; classes?: number[] };
}


/** The article's Adam settings and D steps (the same for DCGAN and SAGAN): the trainer's defaults. */
export const ARTICLE_OPTIMIZER = {
  gLr: TRAINER_DEFAULTS.gLr,
  dLr: TRAINER_DEFAULTS.dLr,
  beta1: TRAINER_DEFAULTS.beta1,
  beta2: TRAINER_DEFAULTS.beta2,
  dSteps: TRAINER_DEFAULTS.dSteps,
} as const;

/** The article's loss of each model: BCE with logits for DCGAN, hinge for SAGAN. */
export function defaultLoss(model: ModelName): "bce" | "hinge" {
  return model === "dcgan" ? "bce" : "hinge";
}

/** A {@link TrainingSetup} with the loss, learning rates, betas and D steps filled in. */
export type ResolvedTrainingSetup = TrainingSetup & Required<Pick<TrainingSetup, "loss" | "gLr" | "dLr" | "beta1" | "beta2" | "dSteps">>;

/**
 * `setup` with the article's loss for `model` ({@link defaultLoss}) and the article's optimiser settings
 * ({@link ARTICLE_OPTIMIZER}) where absent, checked: errors name the field and what was expected.
 */
export function resolveTrainingSetup(setup: TrainingSetup, model: ModelName): ResolvedTrainingSetup {
  const out: ResolvedTrainingSetup = {
    ...setup,
    loss: setup.loss ?? defaultLoss(model),
    gLr: setup.gLr ?? ARTICLE_OPTIMIZER.gLr,
    dLr: setup.dLr ?? ARTICLE_OPTIMIZER.dLr,
    beta1: setup.beta1 ?? ARTICLE_OPTIMIZER.beta1,
    beta2: setup.beta2 ?? ARTICLE_OPTIMIZER.beta2,
    dSteps: setup.dSteps ?? ARTICLE_OPTIMIZER.dSteps,
  };
  checkTrainingSetup(out);
  return out;
}

/** Checks every field that is present; errors name the field and what was expected. */
export function checkTrainingSetup(setup: TrainingSetup): void {
  const fail = (field: string, expected: string, got: unknown) => {
    throw new Error(`training.${field}: expected ${expected}, got ${JSON.stringify(got)}`);
  };
  if (setup.loss !== undefined && !LOSS_NAMES.includes(setup.loss)) fail("loss", `one of ${LOSS_NAMES.join(", ")}`, setup.loss);
  for (const key of ["gLr", "dLr"] as const) {
    const v = setup[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) fail(key, "a number > 0", v);
  }
  for (const key of ["beta1", "beta2"] as const) {
    const v = setup[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v < 1)) fail(key, "a number in [0, 1)", v);
  }
  if (setup.dSteps !== undefined && !(Number.isSafeInteger(setup.dSteps) && setup.dSteps >= 1)) fail("dSteps", "an integer >= 1", setup.dSteps);
  if (setup.ema !== undefined) {
    const { decay, startStep } = setup.ema;
    if (!(Number.isFinite(decay) && decay >= 0 && decay <= 1)) fail("ema.decay", "a number in [0, 1]", decay);
    if (!(Number.isSafeInteger(startStep) && startStep >= 0)) fail("ema.startStep", "an integer >= 0", startStep);
    if (setup.ema.warmup !== undefined && typeof setup.ema.warmup !== "boolean") fail("ema.warmup", "true or false", setup.ema.warmup);
  }
  if (setup.diffAugment !== undefined) {
    let ops: string[] = [];
    try {
      ops = diffAugmentPolicy(setup.diffAugment);
    } catch (e) {
      throw new Error(`training.diffAugment: ${(e as Error).message}`);
    }
    if (ops.length === 0) fail("diffAugment", "comma-separated transforms such as color,translation", setup.diffAugment);
  }
  if (setup.diffAugmentTranslation !== undefined) {
    const ratio = setup.diffAugmentTranslation;
    if (!setup.diffAugment?.split(",").includes("translation")) fail("diffAugmentTranslation", "diffAugment with translation in its policy", setup.diffAugment);
    if (!(Number.isFinite(ratio) && ratio > 0 && ratio <= 0.5)) fail("diffAugmentTranslation", "a number in (0, 0.5]", ratio);
  }
  if (setup.lecam !== undefined && !(Number.isFinite(setup.lecam) && setup.lecam > 0)) fail("lecam", "a number > 0", setup.lecam);
  if (setup.eval !== undefined) {
    const { everyEpochs, n } = setup.eval;
    if (!(Number.isSafeInteger(everyEpochs) && everyEpochs >= 1)) fail("eval.everyEpochs", "an integer >= 1", everyEpochs);
    if (!(Number.isSafeInteger(n) && n >= 2 && n <= TRAINING_LIMITS.maxEvalSamples)) fail("eval.n", `an integer in [2, ${TRAINING_LIMITS.maxEvalSamples}]`, n);
    const { dataset, classes } = setup.eval;
    if (dataset !== undefined && !EVAL_DATASETS.includes(dataset)) fail("eval.dataset", `one of ${EVAL_DATASETS.join(", ")}`, dataset);
    if (classes !== undefined && !(Array.isArray(classes) && classes.length >= 1 && classes.every((c) => Number.isSafeInteger(c) && c >= 0 && c <= 9) && new Set(classes).size === classes.length)) {
      fail("eval.classes", "distinct classes among 0–9", classes);
    }
  }
}
