import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arrayDataSource } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastRecipe } from "./named-recipes";
import { withOverrides } from "./recipe";
import { EMA_SAMPLES_FOLDER, trainRecipe } from "./train-recipe";

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

  it("names the data folder it cannot use", async () => {
    await expect(trainRecipe(tiny, { data: join(tmp, "missing"), runDir: join(tmp, "r1") })).rejects.toThrow(/^data: .*missing does not exist/);
    await writeFile(join(tmp, "file.png"), "");
    await expect(trainRecipe(tiny, { data: join(tmp, "file.png"), runDir: join(tmp, "r2") })).rejects.toThrow(/data: .*file.png is a file, expected a folder of images/);
  });
});
