import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { applyRecipe } from "./apply-recipe";
import { RECIPE_NAMES, dcganRecipe, fastRecipe, getRecipe, recipes, saganRecipe } from "./named-recipes";
import { buildModels } from "./model-spec";
import { withOverrides } from "./recipe";
import { checkTrainingSetup, resolveTrainingSetup } from "./training-setup";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("named recipes", () => {
  it("are the article's DCGAN and SAGAN and the fast recipe", () => {
    expect(RECIPE_NAMES).toEqual(["fast", "fastConditional", "fastUnlabelled", "sagan", "dcgan"]);
    expect(recipes.sagan.model).toEqual({ model: "sagan", zDim: 20, width: 64, channels: 1 });
    expect(recipes.sagan.training).toEqual({ loss: "hinge", gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1 });
    expect(recipes.dcgan.training.loss).toBe("bce");
    expect([recipes.sagan.batchSize, recipes.sagan.epochs]).toEqual([64, 300]);
    expect(recipes.fast.model.workingSize).toBe(32);
  });

  it("the recipes for any data are the fast recipe without its two-mode prior, conditional or not (unlabelled at 64×64 with the BCE loss)", () => {
    const { latentGap, ...rest } = recipes.fast.model;
    expect(latentGap).toBeDefined();
    expect(recipes.fastConditional.model).toEqual({ ...rest, conditional: true });
    expect(recipes.fastUnlabelled.model).toEqual({ ...rest, workingSize: 64 });
    expect(recipes.fastConditional.training).toEqual(recipes.fast.training);
    expect(recipes.fastUnlabelled.training).toEqual({ ...recipes.fast.training, loss: "bce" });
    expect(recipes.fastUnlabelled.training.ema).not.toBe(recipes.fast.training.ema);
    // A conditional recipe gets its class count from the data; buildModels needs it given.
    expect(() => buildModels({ ...recipes.fastConditional.model, seed: 0 })).toThrow(/numClasses: a conditional model/);
    const { generator } = buildModels({ ...recipes.fastConditional.model, numClasses: 10, width: 2, seed: 0 });
    const labels = tf.tensor1d([0, 9], "int32");
    const image = tf.tidy(() => generator.forward(tf.randomNormal([2, 20], 0, 1, "float32", 1), { labels }).images);
    expect(image.shape).toEqual([2, 64, 64, 1]);
    tf.dispose([image, labels]);
  });

  it("getRecipe returns a copy and names the recipes it knows", () => {
    const copy = getRecipe("fast");
    copy.model.width = 99;
    expect(fastRecipe.model.width).toBe(16);
    expect(() => getRecipe("fastest")).toThrow(/Unknown recipe 'fastest': expected one of fast, fastConditional, fastUnlabelled, sagan, dcgan/);
    expect(() => getRecipe("__proto__")).toThrow(/Unknown recipe/);
  });

  it("withOverrides merges model and training field by field and removes fields set to undefined", () => {
    const r = withOverrides(fastRecipe, { batchSize: 8, model: { width: 4, latentGap: undefined }, training: { gLr: 1e-3, ema: undefined } });
    expect(r.batchSize).toBe(8);
    expect(r.model.width).toBe(4);
    expect("latentGap" in r.model).toBe(false);
    expect(r.model.workingSize).toBe(32);
    expect(r.training.gLr).toBe(1e-3);
    expect(r.training.dLr).toBe(1.2e-3);
    expect("ema" in r.training).toBe(false);
    expect(fastRecipe.training.ema).toEqual({ decay: 0.99, startStep: 0 });
  });
});

describe("training setup", () => {
  it("fills in the article's defaults for the model's loss", () => {
    expect(resolveTrainingSetup({}, "dcgan")).toEqual({ loss: "bce", gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1 });
    expect(resolveTrainingSetup({ dSteps: 2 }, "sagan").loss).toBe("hinge");
  });

  it("names the field and what was expected", () => {
    expect(() => checkTrainingSetup({ loss: "mse" })).toThrow(/training.loss: expected one of bce, bce-minimax, hinge, got "mse"/);
    expect(() => checkTrainingSetup({ gLr: 0 })).toThrow(/training.gLr: expected a number > 0/);
    expect(() => checkTrainingSetup({ beta2: 1 })).toThrow(/training.beta2: expected a number in \[0, 1\)/);
    expect(() => checkTrainingSetup({ dSteps: 1.5 })).toThrow(/training.dSteps: expected an integer >= 1/);
    expect(() => checkTrainingSetup({ ema: { decay: 2, startStep: 0 } })).toThrow(/training.ema.decay/);
    expect(() => checkTrainingSetup({ diffAugment: "blur" })).toThrow(/training.diffAugment: .*blur/);
    expect(() => checkTrainingSetup({ diffAugment: "color", diffAugmentTranslation: 0.1 })).toThrow(/training.diffAugmentTranslation: expected diffAugment with translation/);
    expect(() => checkTrainingSetup({ eval: { everyEpochs: 0, n: 400 } })).toThrow(/training.eval.everyEpochs/);
  });
});

describe("applyRecipe", () => {
  it("builds the article's SAGAN with the article's state-dict names and options", () => {
    const run = applyRecipe(withOverrides(saganRecipe, { model: { width: 8 } }), { seed: 3 });
    try {
      const keys = Object.keys(run.generator.stateDict());
      expect(keys).toContain("layer1.0.weight_orig");
      expect(keys).toContain("self_attntion2.gamma");
      expect(keys).toContain("layer4.0.weight_u");
      expect(run.loss.name).toBe("hinge");
      expect(run.trainerOptions).toEqual({ epochs: 300, seed: 3, gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1 });
      expect(run.callbacks).toEqual([]);
      expect(run.ema).toBeUndefined();
    } finally {
      run.dispose();
    }
  });

  it("builds the unlabelled recipe: the full 64×64 generator and the BCE loss", () => {
    const run = applyRecipe(recipes.fastUnlabelled, { seed: 1 });
    try {
      expect(run.loss.name).toBe("bce");
      expect(Object.keys(run.generator.stateDict())).toContain("layer4.0.weight");
      expect(run.callbacks.map((c) => c.name)).toEqual(["diff-augment", run.ema?.name]);
      const out = tf.tidy(() => run.generator.forward(tf.randomNormal([2, 20])).images.shape);
      expect(out).toEqual([2, 64, 64, 1]);
    } finally {
      run.dispose();
    }
  });

  it("builds the fast recipe: the 32×32 variant, DiffAugment's state and the EMA as callbacks", () => {
    const run = applyRecipe(fastRecipe, { seed: 1 });
    try {
      const keys = Object.keys(run.generator.stateDict());
      expect(keys).not.toContain("layer4.0.weight");
      expect(keys.some((k) => k.endsWith("weight_orig"))).toBe(false); // no spectral norm in G
      expect(Object.keys(run.discriminator.stateDict())).not.toContain("layer1.0.weight_orig");
      expect(run.callbacks.map((c) => c.name)).toEqual(["diff-augment", run.ema?.name]);
      expect(run.trainerOptions).toMatchObject({ gLr: 1.2e-3, dLr: 1.2e-3, beta2: 0.99, dSteps: 2, epochs: 1000 });
      const out = tf.tidy(() => run.generator.forward(tf.randomNormal([2, 20])).images.shape);
      expect(out).toEqual([2, 64, 64, 1]);
    } finally {
      run.dispose();
    }
  });

  it("seeds the weights: the same seed gives the same generator, another seed another", () => {
    const weights = (seed: number) => {
      const run = applyRecipe(withOverrides(dcganRecipe, { model: { width: 4 } }), { seed });
      const w = run.generator.stateDict()["layer1.0.weight"].dataSync().slice();
      run.dispose();
      return Array.from(w);
    };
    expect(weights(5)).toEqual(weights(5));
    expect(weights(5)).not.toEqual(weights(6));
  });

  it("refuses bad options, naming them", () => {
    expect(() => applyRecipe(fastRecipe, { seed: -1 })).toThrow(/seed must be an integer >= 0/);
    expect(() => applyRecipe(withOverrides(fastRecipe, { batchSize: 0 }))).toThrow(/recipe 'fast': batchSize must be an integer >= 1/);
    expect(() => applyRecipe(withOverrides(dcganRecipe, { model: { workingSize: 32 } }))).toThrow(/workingSize: applies to sagan only/);
    expect(() => applyRecipe(withOverrides(saganRecipe, { model: { attentionAfter: [5] } }))).toThrow(/attentionAfter: expected distinct layers/);
  });

  it("frees what it allocates", () => {
    const before = tf.memory().numTensors;
    applyRecipe(withOverrides(fastRecipe, { model: { width: 4 } })).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
