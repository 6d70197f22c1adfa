import { describe, expect, it } from "vitest";
import { DEFAULT_DIFF_AUGMENT, type ResumeConflict, checkDiffAugmentPolicy, formatTrainingSetup, resumedTrainingSetup, trainingSetup } from "./training-setup";

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
    expect(formatTrainingSetup(trainingSetup({ evalEvery: 10, evalDataset: "fashion-mnist" }))).toBe("eval every 10 epoch(s) (n=400, fashion-mnist)");
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
    // --eval-dataset: which classifier and real images score the samples.
    expect(trainingSetup({ evalEvery: 2, evalDataset: "fashion-mnist" })).toEqual({ eval: { everyEpochs: 2, n: 400, dataset: "fashion-mnist" } });
    expect(() => trainingSetup({ evalEvery: 2, evalDataset: "cifar" })).toThrow("--eval-dataset: expected one of mnist, fashion-mnist, got cifar");
    expect(() => trainingSetup({ evalDataset: "mnist" })).toThrow("--eval-dataset needs --eval-every <epochs>");
    expect(() => trainingSetup({ evalEvery: 1 }, 3)).toThrow("--eval-every: the evaluation scores grayscale images; it needs --channels 1");
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
    // --eval-dataset alone keeps the recipe's schedule; the recipe's classes stay only with its own data set.
    const fashion = { eval: { everyEpochs: 12, n: 400, dataset: "fashion-mnist" as const, classes: [0, 1] } };
    expect(trainingSetup({ evalDataset: "mnist" }, 1, fashion)).toEqual({ eval: { everyEpochs: 12, n: 400, dataset: "mnist" } });
    expect(trainingSetup({ evalN: 8 }, 1, fashion)).toEqual({ eval: { everyEpochs: 12, n: 8, dataset: "fashion-mnist", classes: [0, 1] } });
    const off = trainingSetup({ ema: false, diffAugment: false, noEval: true }, 1, base);
    expect(Object.keys(off).sort()).toEqual(["diffAugment", "diffAugmentTranslation", "ema", "eval"]);
    expect(Object.values(off).every((v) => v === undefined)).toBe(true);
    expect(() => trainingSetup({ ema: false, emaDecay: 0.9 }, 1, base)).toThrow("--ema-decay needs --ema");
    expect(() => trainingSetup({ diffAugment: false, diffAugmentTranslation: 0.1 }, 1, base)).toThrow("--diff-augment-translation needs --diff-augment");
    expect(() => trainingSetup({ noEval: true, evalEvery: 2 }, 1, base)).toThrow("--no-eval: not with --eval-every, --eval-n or --eval-dataset");
  });

  it("checkDiffAugmentPolicy normalises a policy", () => {
    expect(checkDiffAugmentPolicy("cutout")).toBe("cutout");
    expect(checkDiffAugmentPolicy("brightness ,contrast")).toBe("brightness,contrast");
  });
});

describe("resumedTrainingSetup", () => {
  const recorded = { beta1: 0.5, ema: { decay: 0.99, startStep: 10 }, diffAugment: "translation", eval: { everyEpochs: 2, n: 8 } };
  const collect = () => {
    const conflicts: string[] = [];
    return { conflicts, report: (c: ResumeConflict) => void conflicts.push(`${c.flag}: recorded ${c.recorded}, given ${c.given}`) };
  };

  it("keeps the recorded EMA, DiffAugment and betas, and reports flags that disagree", () => {
    const { conflicts, report } = collect();
    const out = resumedTrainingSetup({ beta1: 0.5, ema: { decay: 0.9, startStep: 10 }, beta2: 0.95 }, recorded, report);
    expect(out).toEqual(recorded);
    expect(conflicts).toEqual(["--beta2: recorded default, given 0.95", "--ema: recorded decay 0.99 from step 10, given decay 0.9 from step 10"]);
    const quiet = collect();
    expect(resumedTrainingSetup({}, recorded, quiet.report)).toEqual(recorded);
    expect(resumedTrainingSetup({ beta1: 0.5, ema: { decay: 0.99, startStep: 10 } }, recorded, quiet.report)).toEqual(recorded);
    expect(quiet.conflicts).toEqual([]);
  });

  it("keeps the recorded DiffAugment translation; absent means the default; --no-ema and --no-diff-augment disagree with a recorded aid", () => {
    const { conflicts, report } = collect();
    const withShift = { ...recorded, diffAugmentTranslation: 0.0625 };
    expect(resumedTrainingSetup({ diffAugment: "translation" }, withShift, report)).toEqual(withShift);
    expect(resumedTrainingSetup({ diffAugment: "translation", diffAugmentTranslation: 0.25 }, recorded, report)).toEqual(recorded);
    expect(resumedTrainingSetup({ ema: undefined, diffAugment: undefined, diffAugmentTranslation: undefined }, withShift, report)).toEqual(withShift);
    expect(conflicts).toEqual([
      "--diff-augment-translation: recorded default, given 0.25",
      "--no-ema: recorded decay 0.99 from step 10, given off",
      "--no-diff-augment: recorded translation, given off",
    ]);
  });

  it("a run recorded without EMA or DiffAugment stays without; evaluation may be added, changed or dropped", () => {
    const { conflicts, report } = collect();
    const out = resumedTrainingSetup({ ema: { decay: 0.999, startStep: 0 }, diffAugment: "cutout", eval: { everyEpochs: 1, n: 16 } }, {}, report);
    expect(out).toEqual({ eval: { everyEpochs: 1, n: 16 } });
    expect(conflicts).toEqual(["--ema: recorded off, given decay 0.999 from step 0", "--diff-augment: recorded off, given cutout"]);
    expect(resumedTrainingSetup({ eval: undefined }, recorded, report).eval).toBeUndefined();
  });

  it("keeps the recorded loss and D steps (reporting flags that disagree); learning rates given are overrides", () => {
    const withRates = { ...recorded, loss: "hinge" as const, gLr: 2e-4, dLr: 4e-4, dSteps: 2 };
    const quiet = collect();
    expect(resumedTrainingSetup({}, withRates, quiet.report)).toEqual(withRates);
    expect(resumedTrainingSetup({ gLr: 2e-4, dSteps: 2 }, withRates, quiet.report)).toEqual(withRates);
    expect(resumedTrainingSetup({ gLr: 1e-4, dLr: 1e-5 }, withRates, quiet.report)).toEqual({ ...withRates, gLr: 1e-4, dLr: 1e-5 });
    expect(quiet.conflicts).toEqual([]);

    const { conflicts, report } = collect();
    const out = resumedTrainingSetup({ loss: "bce", dSteps: 1 }, withRates, report);
    expect(out).toEqual(withRates);
    expect(conflicts).toEqual(["--loss: recorded hinge, given bce", "--d-steps: recorded 2, given 1"]);
  });
});
