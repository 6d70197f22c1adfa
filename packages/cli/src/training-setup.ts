import { type DiffAugmentOp, diffAugmentPolicy } from "@gan/layers";
import { LOSS_NAMES } from "@gan/losses";
import { ARTICLE_OPTIMIZER, EVAL_DATASETS, type EvalDatasetName, type TrainingSetup } from "@gan/recipes";

export type { TrainingSetup };

/** The transforms a `--diff-augment` policy can name (`@gan/layers`' DiffAugment ops). */
export const DIFF_AUGMENT_OPS: readonly DiffAugmentOp[] = ["color", "brightness", "saturation", "contrast", "translation", "cutout"];
/** What a bare `--diff-augment` means: `@gan/layers`' default DiffAugment policy (`color,translation,cutout`). */
export const DEFAULT_DIFF_AUGMENT = diffAugmentPolicy().join(",");
/** `--ema-decay` when not given. */
export const DEFAULT_EMA_DECAY = 0.999;
/** `--g-lr`, `--d-lr`, `--d-steps`, `--beta1`, `--beta2` when neither given nor in the recipe: the article's. */
export const ARTICLE_DEFAULTS = ARTICLE_OPTIMIZER;
/** `--eval-n` when not given (as `gan eval`'s `--n`). */
export const DEFAULT_EVAL_N = 400;
/**
 * The training-quality options of `gan train` as given (command-line flags or {@link TrainCommandOptions}
 * fields); {@link trainingSetup} checks them. Undefined means "not given".
 */
export interface TrainingFlags {
  /** Keep an exponential moving average of the generator (`--ema`); `false` drops the recipe's (`--no-ema`). */
  ema?: boolean;
  /** The EMA's decay per step, in [0, 1] (`--ema-decay`, default 0.999; needs `ema`). */
  emaDecay?: number;
  /** The step from which the EMA averages; before it, it copies the weights (`--ema-start`, default 0; needs `ema`). */
  emaStart?: number;
  /**
   * DiffAugment on the real and the generated images D scores while training (`--diff-augment [policy]`):
   * `true` for the default policy ({@link DEFAULT_DIFF_AUGMENT}), or a comma-separated list of `@gan/layers`'
   * transforms (`color`, `brightness`, `saturation`, `contrast`, `translation`, `cutout`).
   */
  diffAugment?: boolean | string;
  /**
   * DiffAugment's largest translation as a fraction of the image side, in (0, 0.5] (`--diff-augment-translation`,
   * default 0.125 as the paper; needs `diffAugment` with `translation`).
   */
  diffAugmentTranslation?: number;
  /**
   * LeCam regularisation of D's loss with this weight λ > 0 (`--lecam`; `@gan/losses`' `withLeCam`, moving
   * averages with decay 0.99).
   */
  lecam?: number;
  /** Evaluate FID, KID, purity and balance every this many epochs (`--eval-every`). */
  evalEvery?: number;
  /** No evaluation, even when the recipe has one (`--no-eval`). */
  noEval?: boolean;
  /** Samples (and real reference digits) per evaluation, at least 2 (`--eval-n`, default 400; needs `evalEvery`). */
  evalN?: number;
  /**
   * The data set whose classifier and real test images score the samples (`--eval-dataset`: `mnist` or
   * `fashion-mnist`; default: the recipe's, else MNIST; needs an evaluation).
   */
  evalDataset?: string;
  /** Adam β1 of both optimizers, in [0, 1) (`--beta1`, default 0 as the reference). */
  beta1?: number;
  /** Adam β2 of both optimizers, in [0, 1) (`--beta2`, default 0.9 as the reference). */
  beta2?: number;
  /** The loss (`--loss`, one of `@gan/losses`' `LOSS_NAMES`; default: the recipe's). */
  loss?: string;
  /** Generator learning rate, > 0 (`--g-lr`; default: the recipe's). */
  gLr?: number;
  /** Discriminator learning rate, > 0 (`--d-lr`; default: the recipe's). */
  dLr?: number;
  /** Discriminator steps per generator step, an integer >= 1 (`--d-steps`; default: the recipe's). */
  dSteps?: number;
}

/**
 * Checks the flags and turns them into the {@link TrainingSetup} fields they set, to override the recipe's
 * (`base`): `--ema-decay`, `--diff-augment-translation` and `--eval-n` also adjust an EMA, a DiffAugment policy
 * or an evaluation the recipe has. Errors name the flag and what was expected.
 */
export function trainingSetup(flags: TrainingFlags, channels: 1 | 3 = 1, base: TrainingSetup = {}): TrainingSetup {
  const setup: TrainingSetup = {};
  for (const [key, flag] of [
    ["beta1", "--beta1"],
    ["beta2", "--beta2"],
  ] as const) {
    const v = flags[key];
    if (v === undefined) continue;
    if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new Error(`${flag}: expected a number in [0, 1), got ${v}`);
    setup[key] = v;
  }
  if (flags.loss !== undefined) {
    if (!LOSS_NAMES.includes(flags.loss)) throw new Error(`--loss: expected one of ${LOSS_NAMES.join(", ")}, got ${flags.loss}`);
    setup.loss = flags.loss;
  }
  for (const [key, flag] of [
    ["gLr", "--g-lr"],
    ["dLr", "--d-lr"],
  ] as const) {
    const v = flags[key];
    if (v === undefined) continue;
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`${flag}: expected a number > 0, got ${v}`);
    setup[key] = v;
  }
  if (flags.dSteps !== undefined) {
    if (!Number.isSafeInteger(flags.dSteps) || flags.dSteps < 1) throw new Error(`--d-steps: expected an integer >= 1, got ${flags.dSteps}`);
    setup.dSteps = flags.dSteps;
  }

  if (flags.ema === false) {
    if (flags.emaDecay !== undefined) throw new Error("--ema-decay needs --ema");
    if (flags.emaStart !== undefined) throw new Error("--ema-start needs --ema");
    if (base.ema) setup.ema = undefined;
  } else if (!flags.ema && !base.ema) {
    if (flags.emaDecay !== undefined) throw new Error("--ema-decay needs --ema");
    if (flags.emaStart !== undefined) throw new Error("--ema-start needs --ema");
  } else if (flags.ema || flags.emaDecay !== undefined || flags.emaStart !== undefined) {
    const decay = flags.emaDecay ?? base.ema?.decay ?? DEFAULT_EMA_DECAY;
    const startStep = flags.emaStart ?? base.ema?.startStep ?? 0;
    if (!(Number.isFinite(decay) && decay >= 0 && decay <= 1)) throw new Error(`--ema-decay: expected a number in [0, 1], got ${flags.emaDecay}`);
    if (!Number.isSafeInteger(startStep) || startStep < 0) throw new Error(`--ema-start: expected an integer >= 0, got ${flags.emaStart}`);
    setup.ema = { decay, startStep };
  }

  if (flags.diffAugment === false && base.diffAugment) {
    setup.diffAugment = undefined;
    setup.diffAugmentTranslation = undefined;
  }
  if (flags.diffAugment !== undefined && flags.diffAugment !== false) {
    const policy = checkDiffAugmentPolicy(flags.diffAugment === true ? DEFAULT_DIFF_AUGMENT : flags.diffAugment);
    setup.diffAugment = policy;
  }
  if (flags.diffAugmentTranslation !== undefined) {
    const ratio = flags.diffAugmentTranslation;
    const policy = "diffAugment" in setup ? setup.diffAugment : base.diffAugment;
    if (!policy?.split(",").includes("translation")) {
      throw new Error("--diff-augment-translation needs --diff-augment with translation in its policy");
    }
    if (!(Number.isFinite(ratio) && ratio > 0 && ratio <= 0.5)) {
      throw new Error(`--diff-augment-translation: expected a number in (0, 0.5], got ${ratio}`);
    }
    setup.diffAugmentTranslation = ratio;
  }

  if (flags.lecam !== undefined) {
    if (!(Number.isFinite(flags.lecam) && flags.lecam > 0)) throw new Error(`--lecam: expected a number > 0, got ${flags.lecam}`);
    setup.lecam = flags.lecam;
  }

  const dataset = flags.evalDataset;
  if (dataset !== undefined && !(EVAL_DATASETS as readonly string[]).includes(dataset)) {
    throw new Error(`--eval-dataset: expected one of ${EVAL_DATASETS.join(", ")}, got ${dataset}`);
  }
  if (flags.noEval) {
    if (flags.evalEvery !== undefined || flags.evalN !== undefined || dataset !== undefined) {
      throw new Error("--no-eval: not with --eval-every, --eval-n or --eval-dataset");
    }
    if (base.eval) setup.eval = undefined;
  } else if (flags.evalEvery === undefined && !base.eval) {
    if (flags.evalN !== undefined) throw new Error("--eval-n needs --eval-every <epochs>");
    if (dataset !== undefined) throw new Error("--eval-dataset needs --eval-every <epochs>");
  } else if (flags.evalEvery !== undefined || flags.evalN !== undefined || dataset !== undefined) {
    const n = flags.evalN ?? base.eval?.n ?? DEFAULT_EVAL_N;
    const everyEpochs = flags.evalEvery ?? base.eval?.everyEpochs;
    if (!Number.isSafeInteger(everyEpochs) || (everyEpochs as number) < 1) throw new Error(`--eval-every: expected an integer >= 1, got ${everyEpochs}`);
    if (!Number.isSafeInteger(n) || n < 2) throw new Error(`--eval-n: expected an integer >= 2, got ${flags.evalN}`);
    if (channels !== 1) throw new Error("--eval-every: the evaluation scores grayscale images; it needs --channels 1");
    const chosen = (dataset ?? base.eval?.dataset) as EvalDatasetName | undefined;
    // The recipe's classes belong to its data set: another data set is scored over all of its classes.
    const classes = dataset === undefined || dataset === base.eval?.dataset ? base.eval?.classes : undefined;
    setup.eval = { everyEpochs: everyEpochs as number, n, ...(chosen ? { dataset: chosen } : {}), ...(classes ? { classes } : {}) };
  }
  return setup;
}

/**
 * Checks a DiffAugment policy (comma-separated `@gan/layers` transform names) and returns it normalised
 * (`"translation, cutout"` → `"translation,cutout"`); errors name `--diff-augment`.
 */
export function checkDiffAugmentPolicy(policy: string): string {
  let ops: string[];
  try {
    ops = diffAugmentPolicy(policy);
  } catch (e) {
    throw new Error(`--diff-augment: ${(e as Error).message}`);
  }
  if (ops.length === 0) throw new Error(`--diff-augment: expected comma-separated transforms such as ${DEFAULT_DIFF_AUGMENT}, got '${policy}'`);
  return ops.join(",");
}

/** A flag given on `--resume` that disagrees with the run's record: the flag, and both values in words. */
export interface ResumeConflict {
  flag: string;
  recorded: string;
  given: string;
}

/**
 * The setup a resumed run trains with: the recorded EMA, DiffAugment, LeCam, betas, loss and D steps (they define
 * the run; a flag given now that disagrees is passed to `conflict`, and the caller refuses the command), the
 * learning rates given now (an allowed override), else the recorded ones, and the evaluation given now
 * (`--eval-every`, `--eval-n`, `--no-eval`), else the recorded one. Absent from the record means off or the
 * default: a flag given now cannot turn it on.
 */
export function resumedTrainingSetup(given: TrainingSetup, recorded: TrainingSetup, conflict: (c: ResumeConflict) => void): TrainingSetup {
  const kept: Array<[keyof TrainingSetup, string]> = [
    ["beta1", "--beta1"],
    ["beta2", "--beta2"],
    ["ema", "--ema"],
    ["diffAugment", "--diff-augment"],
    ["diffAugmentTranslation", "--diff-augment-translation"],
    ["lecam", "--lecam"],
    ["loss", "--loss"],
    ["dSteps", "--d-steps"],
  ];
  const out: TrainingSetup = {};
  for (const [key, flag] of kept) {
    const value = recorded[key];
    if (value !== undefined) Object.assign(out, { [key]: value });
    // --no-diff-augment clears the translation too: one conflict, --no-diff-augment's, is enough.
    if (key === "diffAugmentTranslation" && given[key] === undefined) continue;
    if (key in given && JSON.stringify(given[key]) !== JSON.stringify(value)) {
      const negated = (key === "ema" || key === "diffAugment") && given[key] === undefined;
      conflict({ flag: negated ? `--no-${flag.slice(2)}` : flag, recorded: show(key, value), given: show(key, given[key]) });
    }
  }
  for (const key of ["gLr", "dLr"] as const) {
    const value = given[key] ?? recorded[key];
    if (value !== undefined) out[key] = value;
  }
  const evaluation = "eval" in given ? given.eval : recorded.eval;
  if (evaluation) out.eval = evaluation;
  return out;
}

/** A setting's value in words: `off`, `default`, `0.5`, `decay 0.999 from step 0`. */
function show(key: keyof TrainingSetup, value: unknown): string {
  if (value === undefined) return key === "beta1" || key === "beta2" || key === "diffAugmentTranslation" ? "default" : "off";
  if (key === "ema") {
    const ema = value as NonNullable<TrainingSetup["ema"]>;
    return `decay ${ema.decay} from step ${ema.startStep}`;
  }
  return String(value);
}

/**
 * One line for the log: `EMA decay 0.999 from step 0, DiffAugment color,translation,cutout, eval every 5 epoch(s) (n=400),
 * Adam beta1 0.5, loss hinge, g-lr 0.0001, d-lr 0.0004, d-steps 1`.
 */
export function formatTrainingSetup(setup: TrainingSetup): string {
  const parts: string[] = [];
  if (setup.ema) parts.push(`EMA ${show("ema", setup.ema)}`);
  if (setup.diffAugment) {
    const shift = setup.diffAugmentTranslation !== undefined ? ` (translation ${setup.diffAugmentTranslation})` : "";
    parts.push(`DiffAugment ${setup.diffAugment}${shift}`);
  }
  if (setup.lecam !== undefined) parts.push(`LeCam ${setup.lecam}`);
  if (setup.eval) parts.push(`eval every ${setup.eval.everyEpochs} epoch(s) (n=${setup.eval.n}${setup.eval.dataset ? `, ${setup.eval.dataset}` : ""})`);
  const betas = (["beta1", "beta2"] as const).filter((k) => setup[k] !== undefined).map((k) => `${k} ${setup[k]}`);
  if (betas.length > 0) parts.push(`Adam ${betas.join(", ")}`);
  if (setup.loss) parts.push(`loss ${setup.loss}`);
  for (const [key, name] of [
    ["gLr", "g-lr"],
    ["dLr", "d-lr"],
    ["dSteps", "d-steps"],
  ] as const) {
    if (setup[key] !== undefined) parts.push(`${name} ${setup[key]}`);
  }
  return parts.length === 0 ? "defaults" : parts.join(", ");
}
