import { defaultLoss, resolveTrainingSetup } from "@gan/recipes";
import { describe, expect, it } from "vitest";
import { DEFAULT_DIFF_AUGMENT, checkDiffAugmentPolicy, formatTrainingSetup, resumedTrainingSetup, trainingSetup } from "./training-setup";

describe("trainingSetup", () => {
  it("is empty without flags and fills in the defaults of the flags given", () => {
    expect(trainingSetup({})).toEqual({});
    expect(trainingSetup({ ema: true, diffAugment: true, evalEvery: 2 })).toEqual({
      ema: { decay: 0.999, startStep: 0 },
      diffAugment: DEFAULT_DIFF_AUGMENT,
      eval: { everyEpochs: 2, n: 400 },
    });
    expect(DEFAULT_DIFF_AUGMENT).toBe("color,translation,cutout");
    expect(trainingSetup({ ema: true, emaDecay: 0.9, emaStart: 100, diffAugment: " translation, cutout ", evalEvery: 1, evalN: 8, beta1: 0.5, beta2: 0.99 })).toEqual({
      beta1: 0.5,
      beta2: 0.99,
      ema: { decay: 0.9, startStep: 100 },
      diffAugment: "translation,cutout",
      eval: { everyEpochs: 1, n: 8 },
    });
    expect(trainingSetup({ ema: false, diffAugment: false })).toEqual({});
    expect(trainingSetup({ loss: "bce", gLr: 2e-4, dLr: 3e-4, dSteps: 2 })).toEqual({ loss: "bce", gLr: 2e-4, dLr: 3e-4, dSteps: 2 });
    expect(trainingSetup({ diffAugment: "color,translation", diffAugmentTranslation: 0.0625 })).toEqual({
      diffAugment: "color,translation",
      diffAugmentTranslation: 0.0625,
    });
    expect(formatTrainingSetup(trainingSetup({ diffAugment: "translation", diffAugmentTranslation: 0.25 }))).toBe("DiffAugment translation (translation 0.25)");
  });

  it("names the flag and what it expected", () => {
    expect(() => trainingSetup({ ema: true, emaDecay: 2 })).toThrow("--ema-decay: expected a number in [0, 1], got 2");
    expect(() => trainingSetup({ ema: true, emaStart: 1.5 })).toThrow("--ema-start: expected an integer >= 0, got 1.5");
    expect(() => trainingSetup({ emaDecay: 0.9 })).toThrow("--ema-decay needs --ema");
    expect(() => trainingSetup({ emaStart: 3 })).toThrow("--ema-start needs --ema");
    expect(() => trainingSetup({ diffAugment: "rotate" })).toThrow("--diff-augment: DiffAugment: unknown transform 'rotate' (known: color, brightness");
    expect(() => trainingSetup({ diffAugment: " , " })).toThrow("--diff-augment: expected comma-separated transforms such as color,translation,cutout, got ' , '");
    expect(() => trainingSetup({ evalEvery: 0 })).toThrow("--eval-every: expected an integer >= 1, got 0");
    expect(() => trainingSetup({ evalEvery: 1, evalN: 1 })).toThrow("--eval-n: expected an integer >= 2, got 1");
    expect(() => trainingSetup({ evalN: 8 })).toThrow("--eval-n needs --eval-every");
    expect(() => trainingSetup({ evalEvery: 1 }, 3)).toThrow("--eval-every: the evaluation scores grayscale digits; it needs --channels 1");
    expect(() => trainingSetup({ beta1: 1 })).toThrow("--beta1: expected a number in [0, 1), got 1");
    expect(() => trainingSetup({ beta2: -0.1 })).toThrow("--beta2: expected a number in [0, 1), got -0.1");
    expect(() => trainingSetup({ gLr: 0 })).toThrow("--g-lr: expected a number > 0, got 0");
    expect(() => trainingSetup({ dLr: Number.NaN })).toThrow("--d-lr: expected a number > 0, got NaN");
    expect(() => trainingSetup({ dSteps: 1.5 })).toThrow("--d-steps: expected an integer >= 1, got 1.5");
    expect(() => trainingSetup({ dSteps: 0 })).toThrow("--d-steps: expected an integer >= 1, got 0");
    expect(() => trainingSetup({ loss: "wasserstein" as never })).toThrow("--loss: expected one of bce, bce-minimax, hinge, got wasserstein");
    const needs = "--diff-augment-translation needs --diff-augment with translation in its policy";
    expect(() => trainingSetup({ diffAugmentTranslation: 0.1 })).toThrow(needs);
    expect(() => trainingSetup({ diffAugment: "color,cutout", diffAugmentTranslation: 0.1 })).toThrow(needs);
    expect(() => trainingSetup({ diffAugment: true, diffAugmentTranslation: 0 })).toThrow("--diff-augment-translation: expected a number in (0, 0.5], got 0");
    expect(() => trainingSetup({ diffAugment: true, diffAugmentTranslation: 0.75 })).toThrow("--diff-augment-translation: expected a number in (0, 0.5], got 0.75");
  });

  it("adjusts or drops the recipe's aids: --ema-decay, --diff-augment-translation, --eval-n alone; --no-ema, --no-diff-augment, --no-eval", () => {
    const base = { ema: { decay: 0.99, startStep: 0 }, diffAugment: "color,translation", eval: { everyEpochs: 12, n: 400 } };
    expect(trainingSetup({}, 1, base)).toEqual({});
    expect(trainingSetup({ emaDecay: 0.9 }, 1, base)).toEqual({ ema: { decay: 0.9, startStep: 0 } });
    expect(trainingSetup({ diffAugmentTranslation: 0.25 }, 1, base)).toEqual({ diffAugmentTranslation: 0.25 });
    expect(trainingSetup({ evalN: 16 }, 1, base)).toEqual({ eval: { everyEpochs: 12, n: 16 } });
    const off = trainingSetup({ ema: false, diffAugment: false, noEval: true }, 1, base);
    expect(Object.keys(off).sort()).toEqual(["diffAugment", "diffAugmentTranslation", "ema", "eval"]);
    expect(Object.values(off).every((v) => v === undefined)).toBe(true);
    expect(() => trainingSetup({ ema: false, emaDecay: 0.9 }, 1, base)).toThrow("--ema-decay needs --ema");
    expect(() => trainingSetup({ diffAugment: false, diffAugmentTranslation: 0.1 }, 1, base)).toThrow("--diff-augment-translation needs --diff-augment");
    expect(() => trainingSetup({ noEval: true, evalEvery: 2 }, 1, base)).toThrow("--no-eval: not with --eval-every or --eval-n");
  });

  it("checkDiffAugmentPolicy normalises a policy", () => {
    expect(checkDiffAugmentPolicy("cutout")).toBe("cutout");
    expect(checkDiffAugmentPolicy("brightness ,contrast")).toBe("brightness,contrast");
  });
});

describe("resumedTrainingSetup", () => {
  const recorded = { beta1: 0.5, ema: { decay: 0.99, startStep: 10 }, diffAugment: "translation", eval: { everyEpochs: 2, n: 8 } };

  it("keeps the recorded EMA, DiffAugment and betas, and warns about flags that disagree", () => {
    const warnings: string[] = [];
    const out = resumedTrainingSetup({ beta1: 0.5, ema: { decay: 0.9, startStep: 10 }, beta2: 0.95 }, recorded, (m) => warnings.push(m));
    expect(out).toEqual(recorded);
    expect(warnings).toEqual([
      "--resume: keeping the recorded --beta2 setting (default), not 0.95",
      "--resume: keeping the recorded --ema setting (decay 0.99 from step 10), not decay 0.9 from step 10",
    ]);
    const quiet: string[] = [];
    expect(resumedTrainingSetup({}, recorded, (m) => quiet.push(m))).toEqual(recorded);
    expect(quiet).toEqual([]);
  });

  it("keeps the recorded DiffAugment translation; absent means the default", () => {
    const warnings: string[] = [];
    const withShift = { ...recorded, diffAugmentTranslation: 0.0625 };
    expect(resumedTrainingSetup({ diffAugment: "translation" }, withShift, (m) => warnings.push(m))).toEqual(withShift);
    expect(resumedTrainingSetup({ diffAugment: "translation", diffAugmentTranslation: 0.25 }, recorded, (m) => warnings.push(m))).toEqual(recorded);
    expect(warnings).toEqual(["--resume: keeping the recorded --diff-augment-translation setting (default), not 0.25"]);
  });

  it("a run recorded without EMA or DiffAugment stays without; evaluation may be added or changed", () => {
    const warnings: string[] = [];
    const out = resumedTrainingSetup({ ema: { decay: 0.999, startStep: 0 }, diffAugment: "cutout", eval: { everyEpochs: 1, n: 16 } }, {}, (m) => warnings.push(m));
    expect(out).toEqual({ eval: { everyEpochs: 1, n: 16 } });
    expect(warnings).toEqual([
      "--resume: keeping the recorded --ema setting (off), not decay 0.999 from step 0",
      "--resume: keeping the recorded --diff-augment setting (off), not cutout",
    ]);
  });

  it("keeps the recorded loss, learning rates and D steps, and warns about flags that disagree", () => {
    const withRates = { ...recorded, loss: "hinge" as const, gLr: 2e-4, dLr: 4e-4, dSteps: 2 };
    const quiet: string[] = [];
    expect(resumedTrainingSetup({}, withRates, (m) => quiet.push(m))).toEqual(withRates);
    expect(resumedTrainingSetup({ gLr: 2e-4, dSteps: 2 }, withRates, (m) => quiet.push(m))).toEqual(withRates);
    expect(quiet).toEqual([]);

    const warnings: string[] = [];
    const out = resumedTrainingSetup({ loss: "bce", gLr: 1e-4, dLr: 4e-4, dSteps: 1 }, withRates, (m) => warnings.push(m));
    expect(out).toEqual(withRates);
    expect(warnings).toEqual([
      "--resume: keeping the recorded --loss setting (hinge), not bce",
      "--resume: keeping the recorded --g-lr setting (0.0002), not 0.0001",
      "--resume: keeping the recorded --d-steps setting (2), not 1",
    ]);
  });

  it("a run recorded before the loss, learning rates and D steps were recorded takes them from the flags, else the defaults", () => {
    const warnings: string[] = [];
    const out = resumedTrainingSetup({ gLr: 2e-4, dSteps: 3 }, recorded, (m) => warnings.push(m));
    expect(out).toEqual({ ...recorded, gLr: 2e-4, dSteps: 3 });
    expect(warnings).toEqual([]);
    expect(resolveTrainingSetup(out, "sagan")).toEqual({ ...recorded, loss: "hinge", gLr: 2e-4, dLr: 4e-4, beta2: 0.9, dSteps: 3 });
    expect(resolveTrainingSetup(resumedTrainingSetup({}, {}, (m) => warnings.push(m)), "dcgan")).toEqual({ loss: "bce", gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1 });
    expect(warnings).toEqual([]);
  });

  it("resolveTrainingSetup (@gan/recipes) fills in the loss of the model and the article's optimiser, keeping what is set", () => {
    expect(defaultLoss("sagan")).toBe("hinge");
    expect(defaultLoss("dcgan")).toBe("bce");
    expect(resolveTrainingSetup({}, "sagan")).toEqual({ loss: "hinge", gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1 });
    expect(resolveTrainingSetup({ beta1: 0.5, loss: "hinge", gLr: 2e-4, dLr: 1e-3, dSteps: 5 }, "dcgan")).toEqual({
      beta1: 0.5,
      beta2: 0.9,
      loss: "hinge",
      gLr: 2e-4,
      dLr: 1e-3,
      dSteps: 5,
    });
  });

  it("formats a setup for the log", () => {
    expect(formatTrainingSetup(recorded)).toBe("EMA decay 0.99 from step 10, DiffAugment translation, eval every 2 epoch(s) (n=8), Adam beta1 0.5");
    expect(formatTrainingSetup({})).toBe("defaults");
    expect(formatTrainingSetup(resolveTrainingSetup({ beta2: 0.99, gLr: 2e-4 }, "sagan"))).toBe("Adam beta1 0, beta2 0.99, loss hinge, g-lr 0.0002, d-lr 0.0004, d-steps 1");
  });
});
