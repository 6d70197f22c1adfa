import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DiffAugmentOp, type ImageScorer, Random, diffAugmentPolicy, withDiffAugment } from "@gan/layers";
import { evalCallback } from "@gan/metrics";
import { type TrainerCallback, generatorEma, sampleImages } from "@gan/trainer";
import { LOSSES, type ModelName } from "./models";

/** The transforms a `--diff-augment` policy can name (`@gan/layers`' DiffAugment ops). */
export const DIFF_AUGMENT_OPS: readonly DiffAugmentOp[] = ["color", "brightness", "saturation", "contrast", "translation", "cutout"];
/** What a bare `--diff-augment` means: `@gan/layers`' default DiffAugment policy (`color,translation,cutout`). */
export const DEFAULT_DIFF_AUGMENT = diffAugmentPolicy().join(",");
/** `--ema-decay` when not given. */
export const DEFAULT_EMA_DECAY = 0.999;
/** `--g-lr` when not given (the trainer's default, the reference's). */
export const DEFAULT_G_LR = 1e-4;
/** `--d-lr` when not given (the trainer's default, the reference's). */
export const DEFAULT_D_LR = 4e-4;
/** `--d-steps` when not given (the trainer's default, the reference's). */
export const DEFAULT_D_STEPS = 1;
/** A loss the CLI knows (`--loss`). */
export type LossName = (typeof LOSSES)[number];
/** `--loss` when not given: the reference's loss of each model (BCE for DCGAN, hinge for SAGAN). */
export function defaultLoss(model: ModelName): LossName {
  return model === "dcgan" ? "bce" : "hinge";
}
/** `--eval-n` when not given (as `gan eval`'s `--n`). */
export const DEFAULT_EVAL_N = 400;
/** The run folder's folder of sample grids drawn with the EMA generator. */
export const EMA_SAMPLES_FOLDER = "samples-ema";
/** The checkpoint file that holds DiffAugment's random state, so a resumed run draws the same augmentations. */
export const DIFF_AUGMENT_STATE_FILE = "diff-augment.json";

/**
 * The training-quality options of `gan train` as given (command-line flags or {@link TrainCommandOptions}
 * fields); {@link trainingSetup} checks them. Undefined means "not given".
 */
export interface TrainingFlags {
  /** Keep an exponential moving average of the generator (`--ema`). */
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
  /** Samples (and real reference digits) per evaluation, at least 2 (`--eval-n`, default 400; needs `evalEvery`). */
  evalN?: number;
  /** Adam β1 of both optimizers, in [0, 1) (`--beta1`, default 0 as the reference). */
  beta1?: number;
  /** Adam β2 of both optimizers, in [0, 1) (`--beta2`, default 0.9 as the reference). */
  beta2?: number;
  /** The loss (`--loss`, default {@link defaultLoss}: `bce` for DCGAN, `hinge` for SAGAN). */
  loss?: LossName;
  /** Generator learning rate, > 0 (`--g-lr`, default {@link DEFAULT_G_LR}). */
  gLr?: number;
  /** Discriminator learning rate, > 0 (`--d-lr`, default {@link DEFAULT_D_LR}). */
  dLr?: number;
  /** Discriminator steps per generator step, an integer >= 1 (`--d-steps`, default {@link DEFAULT_D_STEPS}). */
  dSteps?: number;
}

/**
 * The checked training setup, recorded under `extra.training` in the run's `config.json` so that `--resume`
 * rebuilds it. A field that is absent is off (or the trainer's default, for the betas). The loss, learning
 * rates and D steps are recorded resolved (defaults filled in by {@link resolvedTrainingSetup}); run folders
 * written before they were recorded lack them.
 */
export interface TrainingSetup {
  beta1?: number;
  beta2?: number;
  /** The loss. */
  loss?: LossName;
  /** Generator learning rate. */
  gLr?: number;
  /** Discriminator learning rate. */
  dLr?: number;
  /** Discriminator steps per generator step. */
  dSteps?: number;
  /** The EMA of the generator, when kept. */
  ema?: { decay: number; startStep: number };
  /** The DiffAugment policy (comma-separated transforms), when on. */
  diffAugment?: string;
  /** DiffAugment's largest translation as a fraction of the side; absent means the default 0.125. */
  diffAugmentTranslation?: number;
  /** LeCam's weight λ, when on. */
  lecam?: number;
  /** Evaluation during training, when on. */
  eval?: { everyEpochs: number; n: number };
}

/** Checks the flags and turns them into a {@link TrainingSetup}; errors name the flag and what was expected. */
export function trainingSetup(flags: TrainingFlags, channels: 1 | 3 = 1): TrainingSetup {
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
    if (!(LOSSES as readonly string[]).includes(flags.loss)) throw new Error(`--loss: expected one of ${LOSSES.join(", ")}, got ${flags.loss}`);
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

  if (!flags.ema) {
    if (flags.emaDecay !== undefined) throw new Error("--ema-decay needs --ema");
    if (flags.emaStart !== undefined) throw new Error("--ema-start needs --ema");
  } else {
    const decay = flags.emaDecay ?? DEFAULT_EMA_DECAY;
    const startStep = flags.emaStart ?? 0;
    if (!(Number.isFinite(decay) && decay >= 0 && decay <= 1)) throw new Error(`--ema-decay: expected a number in [0, 1], got ${flags.emaDecay}`);
    if (!Number.isSafeInteger(startStep) || startStep < 0) throw new Error(`--ema-start: expected an integer >= 0, got ${flags.emaStart}`);
    setup.ema = { decay, startStep };
  }

  if (flags.diffAugment !== undefined && flags.diffAugment !== false) {
    const policy = checkDiffAugmentPolicy(flags.diffAugment === true ? DEFAULT_DIFF_AUGMENT : flags.diffAugment);
    setup.diffAugment = policy;
  }
  if (flags.diffAugmentTranslation !== undefined) {
    const ratio = flags.diffAugmentTranslation;
    if (!setup.diffAugment?.split(",").includes("translation")) {
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

  if (flags.evalEvery === undefined) {
    if (flags.evalN !== undefined) throw new Error("--eval-n needs --eval-every <epochs>");
  } else {
    const n = flags.evalN ?? DEFAULT_EVAL_N;
    if (!Number.isSafeInteger(flags.evalEvery) || flags.evalEvery < 1) throw new Error(`--eval-every: expected an integer >= 1, got ${flags.evalEvery}`);
    if (!Number.isSafeInteger(n) || n < 2) throw new Error(`--eval-n: expected an integer >= 2, got ${flags.evalN}`);
    if (channels !== 1) throw new Error("--eval-every: the evaluation scores grayscale digits; it needs --channels 1");
    setup.eval = { everyEpochs: flags.evalEvery, n };
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

/**
 * The setup a resumed run trains with: the recorded EMA, DiffAugment, LeCam, betas, loss, learning rates and D steps
 * (they shape the training, so a resumed run keeps them; a flag given now that disagrees is reported through
 * `warn` and ignored), and the evaluation given now, else the recorded one. A run recorded before the loss,
 * learning rates and D steps were recorded lacks them: those come from the flags given now (else the defaults).
 */
export function resumedTrainingSetup(given: TrainingSetup, recorded: TrainingSetup, warn: (message: string) => void): TrainingSetup {
  // Absent from the record means off, or the default: a flag given now cannot turn it on.
  const kept: Array<[keyof TrainingSetup, string]> = [
    ["beta1", "--beta1"],
    ["beta2", "--beta2"],
    ["ema", "--ema"],
    ["diffAugment", "--diff-augment"],
    ["diffAugmentTranslation", "--diff-augment-translation"],
    ["lecam", "--lecam"],
  ];
  // Recorded resolved since they were recorded at all: absent means an older run folder, so the flags decide.
  const keptWhenRecorded: Array<[keyof TrainingSetup, string]> = [
    ["loss", "--loss"],
    ["gLr", "--g-lr"],
    ["dLr", "--d-lr"],
    ["dSteps", "--d-steps"],
  ];
  const out: TrainingSetup = {};
  for (const [key, flag] of [...kept, ...keptWhenRecorded]) {
    const value = recorded[key];
    if (value === undefined && keptWhenRecorded.some(([k]) => k === key)) {
      if (given[key] !== undefined) Object.assign(out, { [key]: given[key] });
      continue;
    }
    if (value !== undefined) Object.assign(out, { [key]: value });
    if (given[key] !== undefined && JSON.stringify(given[key]) !== JSON.stringify(value)) {
      warn(`--resume: keeping the recorded ${flag} setting (${show(key, value)}), not ${show(key, given[key])}`);
    }
  }
  const evaluation = given.eval ?? recorded.eval;
  if (evaluation) out.eval = evaluation;
  return out;
}

/**
 * The setup with the loss, learning rates and D steps resolved (the model's loss, {@link DEFAULT_G_LR},
 * {@link DEFAULT_D_LR}, {@link DEFAULT_D_STEPS} where absent): what a run trains with and records, so that a
 * resumed run goes on with the same values even if a default changes.
 */
export function resolvedTrainingSetup(setup: TrainingSetup, model: ModelName): TrainingSetup {
  return {
    ...setup,
    loss: setup.loss ?? defaultLoss(model),
    gLr: setup.gLr ?? DEFAULT_G_LR,
    dLr: setup.dLr ?? DEFAULT_D_LR,
    dSteps: setup.dSteps ?? DEFAULT_D_STEPS,
  };
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
  if (setup.eval) parts.push(`eval every ${setup.eval.everyEpochs} epoch(s) (n=${setup.eval.n})`);
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

/** What {@link applyTrainingSetup} wires. */
export interface AppliedTrainingSetup {
  /** Callbacks to add to the run (EMA, its sample grids, evaluation, DiffAugment's random state). */
  callbacks: TrainerCallback[];
  /** Frees the EMA's tensors (call after training). */
  dispose(): void;
}

/**
 * Wires a {@link TrainingSetup}: wraps `discriminator` with `withDiffAugment` (a seeded random stream of its own,
 * saved in every checkpoint as {@link DIFF_AUGMENT_STATE_FILE} and restored on resume), and returns the
 * callbacks: `generatorEma()` with EMA sample grids in {@link EMA_SAMPLES_FOLDER} every `sampleEvery` epochs,
 * and `evalCallback()` (scoring the EMA generator too when there is one).
 */
export function applyTrainingSetup(setup: TrainingSetup, discriminator: ImageScorer, options: { seed: number; sampleEvery: number }): AppliedTrainingSetup {
  const callbacks: TrainerCallback[] = [];
  if (setup.diffAugment) {
    const random = new Random((options.seed ^ 0x0d1ffa09) >>> 0);
    withDiffAugment(discriminator, { policy: setup.diffAugment, random, translationRatio: setup.diffAugmentTranslation });
    callbacks.push(diffAugmentState(setup.diffAugment, random));
  }
  const ema = setup.ema ? generatorEma(setup.ema) : undefined;
  if (ema) {
    callbacks.push(ema, sampleImages({ everyEpochs: options.sampleEvery, ema, folder: EMA_SAMPLES_FOLDER, showReal: false }));
  }
  if (setup.eval) callbacks.push(evalCallback({ everyEpochs: setup.eval.everyEpochs, n: setup.eval.n, ...(ema ? { ema } : {}) }));
  return { callbacks, dispose: () => ema?.ema?.dispose() };
}

/** Saves DiffAugment's random state with each checkpoint and restores it when the run resumes. */
function diffAugmentState(policy: string, random: Random): TrainerCallback {
  return {
    name: "diff-augment",
    async onTrainStart(ctx) {
      const from = ctx.trainer.resumedCheckpoint;
      const file = from && join(from, DIFF_AUGMENT_STATE_FILE);
      if (file && existsSync(file)) random.setState(JSON.parse(await readFile(file, "utf8")).random);
    },
    checkpointFiles: () => ({ [DIFF_AUGMENT_STATE_FILE]: new TextEncoder().encode(`${JSON.stringify({ policy, random: random.getState() })}\n`) }),
  };
}
