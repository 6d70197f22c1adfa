/**
 * The custom-layer example through the API: its pooled attention and least-squares loss plugged into SAGAN and
 * the trainer by train.mjs. Tiny on purpose (width 4, 8 images of 64×64, batches of 4) so it runs in seconds on
 * the CPU backend. cli-plugin.test.ts does the same from the command line.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { DataLoader } from "@gan/data";
import { ImageFolder } from "@gan/data/node";
import { Random, getLayer } from "@gan/layers";
import { dataLoaderSource } from "@gan/trainer";
import { readMetrics } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PooledSelfAttention, leastSquaresLoss } from "./my-layer.mjs";
import { generatorTensorNames, writeImageFolder } from "./test-helpers";
import { trainWithPlugins } from "./train.mjs";

let tmp: string;
let dataDir: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-custom-layer-"));
  dataDir = path.join(tmp, "data");
  await writeImageFolder(dataDir);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("PooledSelfAttention and leastSquaresLoss", () => {
  it("keeps the input's shape, attends over the 2×2-pooled positions and is registered by name", () => {
    const block = new PooledSelfAttention(8, { random: new Random(0) });
    const x = tf.randomNormal([2, 4, 6, 8]) as tf.Tensor4D;
    const { output } = block.forward(x);
    expect(output.shape).toEqual([2, 4, 6, 8]);
    expect(Object.keys(block.stateDict()).sort()).toEqual(["g.weight", "gamma", "o.weight", "phi.weight", "theta.weight"]);
    expect(() => block.forward(tf.zeros([1, 3, 4, 8]) as tf.Tensor4D)).toThrow(/must be even/);
    expect(getLayer("pooled-attention")(8, new Random(0))).toBeInstanceOf(PooledSelfAttention);
    tf.dispose([x, output]);
    block.dispose();
  });

  it("is LSGAN's objective", () => {
    const loss = leastSquaresLoss();
    const d = loss.discriminatorLoss(tf.tensor1d([1, 0]), tf.tensor1d([0, 2]));
    const g = loss.generatorLoss(tf.tensor1d([1, 3]));
    // D: 0.5 * (mean((1-1)², (0-1)²) + mean(0², 2²)) = 0.5 * (0.5 + 2); G: 0.5 * mean(0², 2²) = 1.
    expect(d.dataSync()[0]).toBeCloseTo(1.25, 6);
    expect(g.dataSync()[0]).toBeCloseTo(1, 6);
  });
});

describe("custom-layer example", () => {
  it("trains SAGAN with the pooled attention and the least-squares loss through the API", async () => {
    const runDir = path.join(tmp, "api");
    const images = await ImageFolder.open(dataDir, { channels: 1, size: 64 });
    const loader = new DataLoader(images, { batchSize: 4, seed: 0 });
    const log: string[] = [];
    const { result, generator, discriminator, gammas } = await trainWithPlugins({
      data: dataLoaderSource(loader),
      runDir,
      epochs: 2,
      width: 4,
      samples: { count: 4 },
      log: (m: string) => log.push(m),
    });
    expect(result).toMatchObject({ status: "completed", step: 4, epochsCompleted: 2 });

    // The plugin's blocks sit in both networks' attention slots, under the reference's names.
    for (const model of [generator, discriminator]) {
      expect([...model.attentions.values()].every((b: unknown) => b instanceof PooledSelfAttention)).toBe(true);
      expect(Object.keys(model.stateDict())).toEqual(expect.arrayContaining(["self_attntion1.theta.weight", "self_attntion2.gamma"]));
    }
    // The gammas start at 0 and training moved them: the attention branch gets gradients (MaxPoolGrad included).
    expect(gammas).toHaveLength(2);
    expect(gammas[1].gammas.some((g: number) => g !== 0)).toBe(true);
    expect(log[0]).toMatch(/^epoch 1: attention gammas /);

    const config = JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));
    expect(JSON.stringify(config)).toContain("least-squares");
    const records = await readMetrics(path.join(runDir, "metrics.jsonl"));
    for (const r of records) expect(Number.isFinite(r.dLoss) && Number.isFinite(r.gLoss)).toBe(true);
    expect(await generatorTensorNames(runDir)).toEqual(expect.arrayContaining(["self_attntion1.theta.weight", "self_attntion1.phi.weight"]));
    expect(await fs.readdir(path.join(runDir, "samples"))).toEqual(["epoch-0000.png", "epoch-0001.png"]);
    generator.dispose();
    discriminator.dispose();
  });
});
