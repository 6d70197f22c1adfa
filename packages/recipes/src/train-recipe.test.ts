import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arrayDataSource } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fastRecipe } from "./named-recipes";
import { withOverrides } from "./recipe";
import { EMA_SAMPLES_FOLDER, conditionalGrid, evalScope, trainRecipe } from "./train-recipe";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await mkdtemp(join(tmpdir(), "gan-recipes-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const tiny = withOverrides(fastRecipe, { model: { width: 2 }, batchSize: 4, epochs: 2, training: { eval: undefined } });

describe("trainRecipe", () => {
  it("trains a recipe with the standard run folder, EMA grids and progress lines, and records it in config.json", async () => {
    const images = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform([8, 64, 64, 1], 0, 1, "float32", 1), 2), 1) as tf.Tensor4D);
    const lines: string[] = [];
    const runDir = join(tmp, "run");
    const result = await trainRecipe(tiny, { data: arrayDataSource(images, { batchSize: 4 }), runDir, seed: 3, progress: (l) => lines.push(l) });
    images.dispose();
    expect(result).toMatchObject({ status: "completed", step: 2 });
    for (const file of ["config.json", "metrics.jsonl", "losses.png", `${EMA_SAMPLES_FOLDER}/epoch-0001.png`, "samples/epoch-0001.png"]) {
      expect(existsSync(join(runDir, file)), file).toBe(true);
    }
    const extra = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra;
    expect(extra.recipe).toBe("fast");
    expect(extra.model).toEqual({ ...tiny.model, seed: 3 });
    expect(extra.training).toEqual(tiny.training);
    expect(lines[0]).toBe("training from step 0 of 2 (2 epochs)");
    expect(lines.at(-1)).toMatch(/^completed: step 2\/2/);
  });

  it("prints progress once through train(), heeding maxMinutes, and draws the early grids of G and of its EMA", async () => {
    const images = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform([8, 64, 64, 1], 0, 1, "float32", 1), 2), 1) as tf.Tensor4D);
    const printed = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      // Progress on by default, to console.log, once (not once from trainRecipe and once from train()).
      const runDir = join(tmp, "early");
      // Two epochs of one step each (8 images, batches of 4, 2 D steps); grids every 50 epochs (the default spans 50 steps), so only after the last.
      await trainRecipe(tiny, { data: arrayDataSource(images, { batchSize: 4 }), runDir, maxMinutes: 60, firstSamplesAfterSeconds: 0 });
      const lines = printed.mock.calls.map((c) => String(c[0]));
      expect(lines.filter((l) => l.startsWith("training from step"))).toEqual(["training from step 0 of 2 (2 epochs, at most 1h00m)"]);
      expect(lines.filter((l) => l.startsWith("completed:"))).toHaveLength(1);
      // firstSamplesAfterSeconds 0: a grid right after the first step, from G and from its EMA, beside the epoch grids.
      expect(await readdir(join(runDir, "samples"))).toEqual(["epoch-0001.png", "step-0000001.png"]);
      expect(await readdir(join(runDir, EMA_SAMPLES_FOLDER))).toEqual(["epoch-0001.png", "step-0000001.png"]);

      // progress: false (what the CLI passes, drawing its own bar): not a line. The default first grid (after 30 s
      // of training, on a clock that stands still here): none, only the last epoch's. (No EMA: it costs seconds here.)
      printed.mockClear();
      vi.useFakeTimers({ toFake: ["performance"] });
      const quiet = join(tmp, "quiet");
      await trainRecipe(withOverrides(tiny, { training: { ema: undefined } }), { data: arrayDataSource(images, { batchSize: 4 }), runDir: quiet, progress: false });
      expect(printed).not.toHaveBeenCalled();
      expect(await readdir(join(quiet, "samples"))).toEqual(["epoch-0001.png"]);
    } finally {
      vi.useRealTimers();
      printed.mockRestore();
      images.dispose();
    }
  });

  it("trains a conditional recipe on labelled data: numClasses from the data's classes, recorded with the class names", async () => {
    const images = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform([8, 64, 64, 1], 0, 1, "float32", 1), 2), 1) as tf.Tensor4D);
    const conditional = withOverrides(tiny, { model: { conditional: true } });
    const runDir = join(tmp, "conditional");
    const data = arrayDataSource(images, { batchSize: 4, labels: [0, 1, 0, 1, 1, 0, 1, 0], classes: ["7", "8"] });
    const result = await trainRecipe(conditional, { data, runDir, seed: 3, progress: false });
    expect(result).toMatchObject({ status: "completed", step: 2 });
    const extra = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra;
    expect(extra.model).toEqual({ ...tiny.model, conditional: true, numClasses: 2, seed: 3 });
    expect(extra.classes).toEqual(["7", "8"]);
    expect(extra.classCounts).toEqual([4, 4]);
    for (const file of [`${EMA_SAMPLES_FOLDER}/epoch-0001.png`, "samples/epoch-0001.png"]) expect(existsSync(join(runDir, file)), file).toBe(true);
    // Without labels: an error naming the data and the class folders it needs.
    await expect(trainRecipe(conditional, { data: arrayDataSource(images, { batchSize: 4 }), runDir: join(tmp, "conditional-unlabelled"), progress: false })).rejects.toThrow(
      /data: a conditional recipe trains on labelled images, but the data has no classes; give a folder with one sub-folder per class/,
    );
    // A conditional run scored per class needs class folders named by class number.
    const scored = withOverrides(conditional, { training: { eval: { everyEpochs: 1, n: 4 } } });
    const named = arrayDataSource(images, { batchSize: 4, labels: [0, 1, 0, 1, 1, 0, 1, 0], classes: ["cats", "dogs"] });
    await expect(trainRecipe(scored, { data: named, runDir: join(tmp, "conditional-named"), progress: false })).rejects.toThrow(/eval: a conditional run is scored per class.*got cats, dogs/);
    images.dispose();
  });

  it("evalScope: class folders named by their class number, bare (MNIST) or with the class name (Fashion-MNIST)", () => {
    const evaluation = { everyEpochs: 1, n: 4, dataset: "fashion-mnist" as const };
    expect(evalScope(evaluation, ["0-t-shirt-top", "1-trouser", "9-ankle-boot"], true)).toEqual({ dataset: "fashion-mnist", classes: [0, 1, 9], conditional: true, classLabels: "index" });
    expect(evalScope({ everyEpochs: 1, n: 4 }, ["7", "8"], true)).toEqual({ dataset: "mnist", classes: [7, 8], conditional: true, classLabels: "index" });
    expect(() => evalScope(evaluation, ["10-x", "1-trouser"], true)).toThrow(/class numbers 0–9.*got 10-x, 1-trouser/);
    expect(evalScope(evaluation, ["cats"], false)).toEqual({ dataset: "fashion-mnist" });
  });

  it("conditionalGrid: one class per row, at most 64 images and 8 columns", () => {
    expect([2, 3, 10, 100].map(conditionalGrid)).toEqual([
      { columns: 8, count: 16 },
      { columns: 8, count: 24 },
      { columns: 6, count: 60 },
      { columns: 1, count: 64 },
    ]);
  });

  it("names the data folder it cannot use", async () => {
    await expect(trainRecipe(tiny, { data: join(tmp, "missing"), runDir: join(tmp, "r1") })).rejects.toThrow(/^data: .*missing does not exist/);
    await writeFile(join(tmp, "file.png"), "");
    await expect(trainRecipe(tiny, { data: join(tmp, "file.png"), runDir: join(tmp, "r2") })).rejects.toThrow(/data: .*file.png is a file, expected a folder of images/);
  });
});
