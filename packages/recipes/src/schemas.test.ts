import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Random } from "@gan/layers";
import { readRunConfig } from "@gan/trainer/node";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIFF_AUGMENT_STATE_FILE, diffAugmentState } from "./diff-augment-state";
import type { ModelSpec } from "./model-spec";
import { ModelSpecSchema, checkModelSpec } from "./model-spec-schema";
import { recipes } from "./named-recipes";
import type { Recipe } from "./recipe";
import { RecipeSchema, checkRecipe } from "./recipe-schema";
import { RunExtraSchema } from "./run-extra-schema";
import type { TrainingSetup } from "./training-setup";
import { TrainingSetupSchema } from "./training-setup-schema";
import { MANIFEST, RECORDED_EXTRA } from "./test-fixtures";
import type { WebManifest } from "./web-manifest";
import { WebManifestSchema, checkWebManifest } from "./web-manifest-schema";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-recipes-schemas-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("ModelSpecSchema", () => {
  it("accepts what gan train records, and an older record without the optional fields", () => {
    expect(checkModelSpec(RECORDED_EXTRA.model, "c")).toEqual(RECORDED_EXTRA.model);
    expect(checkModelSpec({ model: "dcgan", zDim: 20, width: 64, channels: 1, seed: 5 }, "c")).toEqual({ model: "dcgan", zDim: 20, width: 64, channels: 1, seed: 5 });
  });

  it.each([
    [{ width: 1000 }, "width: expected an integer in [1, 256], got 1000"],
    [{ zDim: 1e6 }, "zDim: expected an integer in [1, 1024], got 1000000"],
    [{ channels: 2 }, "channels: expected one of 1, 3, got 2"],
    [{ model: "gan" }, 'model: expected one of "dcgan", "sagan", got "gan"'],
    [{ attentionAfter: [3, 3] }, "attentionAfter: expected distinct layers among 1, 2, 3, 4, got Array"],
    [{ attentionAfter: [5] }, "attentionAfter.0: expected an integer in [1, 4], got 5"],
    [{ workingSize: 16 }, "workingSize: expected one of 32, 64, got 16"],
    [{ latentGap: { dims: 30, gap: 2, scale: 0.5 } }, "expected latentGap.dims at most zDim (20), got 30"],
    [{ seed: 0.5 }, "seed: expected an integer, got 0.5"],
    [{ numClasses: 1001 }, "numClasses: expected an integer in [1, 1000], got 1001"],
    [{ numClasses: 0 }, "numClasses: expected an integer in [1, 1000], got 0"],
    [{ conditional: "yes" }, 'conditional: expected true or false, got "yes"'],
  ])("rejects %j naming the field", (change, message) => {
    expect(() => checkModelSpec({ ...RECORDED_EXTRA.model, ...change }, "x/config.json")).toThrow(`x/config.json: ${message}`);
  });

  it("keeps ModelSpec, TrainingSetup, Recipe and WebManifest in sync with their schemas (both ways)", () => {
    const spec = RECORDED_EXTRA.model as ModelSpec;
    const specIn: v.InferInput<typeof ModelSpecSchema> = spec;
    const specOut: ModelSpec = v.parse(ModelSpecSchema, specIn);
    const setup: v.InferInput<typeof TrainingSetupSchema> = RECORDED_EXTRA.training as TrainingSetup;
    const setupOut: TrainingSetup = v.parse(TrainingSetupSchema, setup);
    const recipe: v.InferInput<typeof RecipeSchema> = recipes.fast as Recipe;
    const recipeOut: Recipe = v.parse(RecipeSchema, recipe);
    const manifest: v.InferInput<typeof WebManifestSchema> = MANIFEST;
    const manifestOut: WebManifest = v.parse(WebManifestSchema, manifest);
    expect([specOut, setupOut, recipeOut, manifestOut]).toEqual([spec, RECORDED_EXTRA.training, recipes.fast, MANIFEST]);
  });
});

describe("RecipeSchema and TrainingSetupSchema", () => {
  it("accept every named recipe", () => {
    for (const recipe of Object.values(recipes)) expect(checkRecipe(recipe, recipe.name)).toEqual(recipe);
  });

  it.each([
    [{ batchSize: 1e9 }, "batchSize: expected an integer in [1, 4096], got 1000000000"],
    [{ training: { eval: { everyEpochs: 1, n: 1e9 } } }, "training.eval.n: expected an integer in [2, 50000], got 1000000000"],
    [{ training: { diffAugment: "blur" } }, 'training.diffAugment: expected comma-separated DiffAugment transforms such as color,translation, got "blur"'],
    [{ training: { loss: "l2" } }, 'training.loss: expected one of bce, bce-minimax, hinge, got "l2"'],
    [{ training: { beta1: 1 } }, "training.beta1: expected a number in [0, 1), got 1"],
  ])("rejects %j naming the field", (change, message) => {
    expect(() => checkRecipe({ ...recipes.fast, ...change }, "r.json")).toThrow(`r.json: ${message}`);
  });
});

describe("WebManifestSchema", () => {
  it("accepts what gan export-web writes", () => {
    expect(checkWebManifest(MANIFEST, "m")).toEqual(MANIFEST);
    const conditional = { ...MANIFEST, model: { ...MANIFEST.model, numClasses: 2 }, classes: ["a", "b"], classCounts: [5, 0] };
    expect(checkWebManifest(conditional, "m")).toEqual(conditional);
  });

  it.each([
    [{ format: "x" }, `format: expected "gan-web" (a manifest written by 'gan export-web'), got "x"`],
    [{ model: { ...MANIFEST.model, width: 1000 } }, "model.width: expected an integer in [1, 256], got 1000"],
    [{ weights: { ...MANIFEST.weights, file: "../../secret" } }, 'weights.file: expected a plain file name next to the manifest, got "../../secret"'],
    [{ weights: { ...MANIFEST.weights, file: "https://example.com/w" } }, "weights.file: expected a plain file name"],
    [{ attention: Array(5).fill(MANIFEST.attention[0]) }, "attention: expected at most 4 attention blocks"],
    [{ model: { ...MANIFEST.model, latentGap: { dims: 30, gap: 2, scale: 0.5 } } }, "model: expected latentGap.dims at most zDim (20), got 30"],
    [{ model: { ...MANIFEST.model, numClasses: 5000 } }, "model.numClasses: expected an integer in [1, 1000], got 5000"],
    [{ classes: Array(1001).fill("a") }, "classes: expected at most 1000 class names"],
    [{ classCounts: [3, 1.5] }, "classCounts.1: expected a whole number of images, got 1.5"],
    [{ classCounts: [0, 0] }, "classCounts: expected at least one class with images"],
  ])("rejects %j naming the field", (change, message) => {
    expect(() => checkWebManifest({ ...MANIFEST, ...change }, "m/manifest.json")).toThrow(`m/manifest.json: ${message}`);
  });
});

describe("a run's config.json read with RunExtraSchema", () => {
  async function configWith(extra: unknown): Promise<string> {
    const dir = await fs.mkdtemp(path.join(tmp, "run-"));
    await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ trainer: { epochs: 1 }, extra }));
    return dir;
  }

  it("reads what gan train records, keeping the other entries", async () => {
    const dir = await configWith(RECORDED_EXTRA);
    expect((await readRunConfig(dir, RunExtraSchema)).extra).toEqual(RECORDED_EXTRA);
  });

  it("reads a conditional run's record: numClasses, the class names, the EMA warm-up and the eval's data set", async () => {
    const conditional = {
      ...RECORDED_EXTRA,
      model: { ...RECORDED_EXTRA.model, conditional: true, numClasses: 10 },
      training: { ...RECORDED_EXTRA.training, ema: { decay: 0.999, startStep: 0, warmup: false }, eval: { everyEpochs: 1, n: 100, dataset: "fashion-mnist", classes: [0, 3] } },
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      classCounts: [200, 200, 200, 200, 200, 200, 200, 200, 200, 0],
    };
    expect((await readRunConfig(await configWith(conditional), RunExtraSchema)).extra).toEqual(conditional);
    const bad = { ...conditional, training: { ...conditional.training, eval: { everyEpochs: 1, n: 100, dataset: "cifar" } } };
    await expect(readRunConfig(await configWith(bad), RunExtraSchema)).rejects.toThrow(/extra\.training\.eval\.dataset: expected one of mnist, fashion-mnist, got "cifar"/);
    await expect(readRunConfig(await configWith({ ...conditional, classCounts: [3, 1.5] }), RunExtraSchema)).rejects.toThrow(/extra\.classCounts\.1: expected a whole number of images, got 1\.5/);
    await expect(readRunConfig(await configWith({ ...conditional, classCounts: [-2] }), RunExtraSchema)).rejects.toThrow(/extra\.classCounts\.0: expected a count of at least 0, got -2/);
  });

  it("names the file and extra.model.width for a width of 1000", async () => {
    const dir = await configWith({ ...RECORDED_EXTRA, model: { ...RECORDED_EXTRA.model, width: 1000 } });
    await expect(readRunConfig(dir, RunExtraSchema)).rejects.toThrow(`${path.join(dir, "config.json")}: extra.model.width: expected an integer in [1, 256], got 1000`);
  });
});

describe("diff-augment.json", () => {
  it.each([
    ["not JSON", "{", /diff-augment\.json: not valid JSON/],
    ["{}", "{}", /diff-augment\.json: random: missing/],
    ["a string seed", '{"random":{"seed":"x","counter":0}}', /diff-augment\.json: random\.seed: expected an integer/],
  ])("%s: an error naming the file, not a TypeError", (_name, text, message) => {
    const callback = diffAugmentState("translation", new Random(0));
    let error: unknown;
    try {
      callback.restore?.({ [DIFF_AUGMENT_STATE_FILE]: new TextEncoder().encode(text) }, undefined as never);
    } catch (e) {
      error = e;
    }
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
  });
});
