import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TrainerCallback } from "../../callback";
import { latestCheckpoint, listCheckpoints } from "../file-checkpoint-store";
import { ShufflingSource, TinyDiscriminator, TinyGenerator, changedKeys, simpleBce, snapshotState, tinyImages } from "../../test-support";
import { readMetrics } from "./metrics-file";
import { sampleImages } from "../callbacks/sample-images";
import { GanTrainer } from "../../gan-trainer";
import { runConfig } from "./run-config";
import { type TrainOptions, defaultCallbacks, train } from "./train";

let tmp: string;
let images: tf.Tensor4D;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-train-"));
  images = tinyImages(12);
});
afterAll(async () => {
  images.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Fresh tiny models (weights from `modelSeed`) and a shuffling data source with state; no progress lines unless asked. */
function setup(runDir: string, modelSeed = 1, extra: Partial<TrainOptions> = {}): TrainOptions & { g: TinyGenerator; d: TinyDiscriminator } {
  const g = new TinyGenerator({ seed: modelSeed, attention: true });
  const d = new TinyDiscriminator({ seed: modelSeed + 100 });
  return { g, d, generator: g, discriminator: d, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 3, seed: 7, runDir, progress: false, ...extra };
}

async function pngSize(file: string): Promise<[number, number, string]> {
  const meta = await sharp(file).metadata();
  return [meta.width!, meta.height!, meta.format!];
}

describe("train", () => {
  it("writes config.json, metrics.jsonl, samples, attention maps, losses.png and checkpoints", async () => {
    const runDir = path.join(tmp, "full");
    const s = setup(runDir, 1, { epochs: 2, config: { model: "tiny" }, samples: { count: 6, columns: 3 } });
    const result = await train(s);
    expect(result).toMatchObject({ status: "completed", step: 6, epochsCompleted: 2, runDir });

    const config = JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));
    expect(config.trainer).toMatchObject({ epochs: 2, seed: 7, gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, epsilon: 1e-8, dSteps: 1, loss: "bce", scores: "sigmoid" });
    expect(config.backend).toBe("cpu");
    expect(config.versions["@gan/trainer"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.versions["@tensorflow/tfjs-core"]).toBe(tf.version_core);
    expect(config.versions["@gan/layers"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.models).toEqual({ zDim: 4, generatorParameters: s.g.numParameters(), discriminatorParameters: s.d.numParameters() });
    expect(config.data).toEqual({ batchSize: 4, batchesPerEpoch: 3 });
    expect(config.extra).toEqual({ model: "tiny" });

    const lines = (await fs.readFile(path.join(runDir, "metrics.jsonl"), "utf8")).trim().split("\n");
    const records = lines.map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(["step", "step", "step", "epoch", "step", "step", "step", "epoch"]);
    expect(records[3]).toMatchObject({ epoch: 0, step: 3, steps: 3, images: 12 });

    // 6 samples in rows of 3: real block (2 rows) above generated block (2 rows); 8 px images scaled ×8.
    const tile = 64;
    const block = 3 * tile + 4 * 2;
    expect(await pngSize(path.join(runDir, "samples", "epoch-0000.png"))).toEqual([block, 2 * (2 * tile + 3 * 2) + 6, "png"]);
    expect(await pngSize(path.join(runDir, "samples", "epoch-0001.png"))).toEqual([block, 2 * (2 * tile + 3 * 2) + 6, "png"]);
    // 5 images, one attention layer: 2 rows.
    expect(await pngSize(path.join(runDir, "attention", "epoch-0001.png"))).toEqual([5 * tile + 6 * 2, 2 * tile + 3 * 2, "png"]);
    expect(await pngSize(path.join(runDir, "losses.png"))).toEqual([720, 400, "png"]);
    expect((await listCheckpoints(runDir)).map((p) => path.basename(p))).toEqual(["step-0000003", "step-0000006"]);
    for (const file of ["generator.safetensors", "discriminator.safetensors", "optimizer-generator.safetensors", "optimizer-discriminator.safetensors", "state.json"]) {
      await fs.access(path.join(runDir, "checkpoints", "step-0000006", file));
    }
  });

  it("leaks no tensor with every standard callback on (step 1 vs step 50)", async () => {
    const counts = new Map<number, number>();
    const before = tf.memory().numTensors;
    const s = setup(path.join(tmp, "leak"), 1, { epochs: 17, samples: { count: 6, firstAfterSeconds: 0 }, progress: { log: () => {} } });
    await train({ ...s, callbacks: [{ onBatchEnd: (ctx) => void counts.set(ctx.step, tf.memory().numTensors) }] });
    expect(counts.get(50)).toBe(counts.get(1));
    // Once training is over and the models are freed, nothing is left.
    s.g.dispose();
    s.d.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("prints progress lines by default, to the given log with options, and none with progress: false", async () => {
    const printed = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const byDefault = setup(path.join(tmp, "progress-default"), 1, { epochs: 1, progress: undefined });
      await train(byDefault);
      const lines = printed.mock.calls.map((c) => String(c[0]));
      expect(lines[0]).toBe("training from step 0 of 3 (1 epochs)");
      expect(lines[1]).toMatch(/^step 1\/3 · epoch 1\/1 · [\d.]+ steps\/s · ETA \d+s · D \d+\.\d{3} G \d+\.\d{3}$/);
      expect(lines.at(-1)).toMatch(/^completed: step 3\/3 · epoch 1\/1 · [\d.]+ steps\/s, \d+s in all$/);

      printed.mockClear();
      const captured: string[] = [];
      await train(setup(path.join(tmp, "progress-log"), 1, { epochs: 1, progress: { everySeconds: 0, log: (l) => captured.push(l) } }));
      expect(printed).not.toHaveBeenCalled();
      expect(captured).toHaveLength(1 + 3 + 1); // the start, every step (everySeconds 0), the end

      await train(setup(path.join(tmp, "progress-off"), 1, { epochs: 1, progress: false }));
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
    expect(defaultCallbacks().map((c) => c.name)).toEqual(["metrics", "samples", "attention", "loss-plot", "checkpoints", "progress"]);
    expect(defaultCallbacks({ progress: false }).map((c) => c.name)).not.toContain("progress");
  });

  it("draws the first grid early, step-NNNNNNN.png, once a run without one has trained firstAfterSeconds (a resumed run too)", async () => {
    // A fake clock: performance.now() moves only when told, 30 s during the given steps.
    vi.useFakeTimers({ toFake: ["performance"] });
    try {
      const slowSteps = (steps: number[]): TrainerCallback => ({ onBatchEnd: (ctx) => void (steps.includes(ctx.step) && vi.advanceTimersByTime(30_000)) });
      const runDir = path.join(tmp, "early");
      const options = { sampleEvery: 2, attention: false as const, lossPlot: false as const };
      await train(setup(runDir, 1, { ...options, epochs: 2, callbacks: (defaults) => [slowSteps([2, 4]), ...defaults] }));
      // 30 s passed during step 2, before the first epoch grid (epoch 1, step 6): one early grid, then epoch grids only.
      expect(await fs.readdir(path.join(runDir, "samples"))).toEqual(["epoch-0001.png", "step-0000002.png"]);
      expect(await pngSize(path.join(runDir, "samples", "step-0000002.png"))).toEqual(await pngSize(path.join(runDir, "samples", "epoch-0001.png")));

      // Resumed (a new run of the same folder): no grid of its own yet, so again one early grid.
      await train({ ...setup(runDir, 1, { ...options, epochs: 4, callbacks: (defaults) => [slowSteps([8]), ...defaults] }), resume: true });
      expect(await fs.readdir(path.join(runDir, "samples"))).toEqual(["epoch-0001.png", "epoch-0003.png", "step-0000002.png", "step-0000008.png"]);

      // Within the time, or with firstAfterSeconds false: none.
      const calm = path.join(tmp, "early-none");
      await train(setup(calm, 1, { ...options, epochs: 2, samples: { firstAfterSeconds: false }, callbacks: (defaults) => [slowSteps([1, 2, 3]), ...defaults] }));
      expect(await fs.readdir(path.join(calm, "samples"))).toEqual(["epoch-0001.png"]);
      const quick = path.join(tmp, "early-quick");
      await train(setup(quick, 1, { ...options, epochs: 2 }));
      expect(await fs.readdir(path.join(quick, "samples"))).toEqual(["epoch-0001.png"]);
    } finally {
      vi.useRealTimers();
    }
    // 0 s: right after the first step. Not at a step whose epoch grid follows at once (it is the first grid then).
    const zero = path.join(tmp, "early-zero");
    await train(setup(zero, 1, { epochs: 1, attention: false, lossPlot: false, samples: { firstAfterSeconds: 0 } }));
    expect(await fs.readdir(path.join(zero, "samples"))).toEqual(["epoch-0000.png", "step-0000001.png"]);
    const oneStep = path.join(tmp, "early-one-step");
    await train({ ...setup(oneStep, 1, { epochs: 1, attention: false, lossPlot: false, samples: { firstAfterSeconds: 0 } }), data: new ShufflingSource(images, 12) });
    expect(await fs.readdir(path.join(oneStep, "samples"))).toEqual(["epoch-0000.png"]);
    expect(() => sampleImages({ firstAfterSeconds: -1 })).toThrow(/sampleImages: option 'firstAfterSeconds' must be a number >= 0 or false, got -1/);
  });

  it("config.json records whether the tensorflow backend runs on a GPU, and nothing of the kind for others", async () => {
    const s = setup(path.join(tmp, "gpu-record"));
    const trainer = new GanTrainer({ generator: s.g, discriminator: s.d, loss: s.loss, data: s.data, epochs: 1 });
    expect(runConfig(trainer)).not.toHaveProperty("gpu"); // cpu
    // tfjs-node-gpu's backend as train() sees it: named "tensorflow", with isUsingGpuDevice.
    for (const onGpu of [true, false]) {
      tf.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: onGpu }));
      try {
        await tf.setBackend("tensorflow");
        expect(runConfig(trainer)).toMatchObject({ backend: "tensorflow", gpu: onGpu });
      } finally {
        await tf.setBackend("cpu");
        tf.removeBackend("tensorflow");
      }
    }
    trainer.dispose();
    s.g.dispose();
    s.d.dispose();
  });

  it("refuses a run folder with checkpoints unless resuming", async () => {
    const runDir = path.join(tmp, "full");
    await expect(train(setup(runDir))).rejects.toThrow("already holds checkpoints");
  });

  it("keeps only the last K checkpoints and draws every sampleEvery epochs", async () => {
    const runDir = path.join(tmp, "keep");
    await train(setup(runDir, 1, { epochs: 2, checkpoints: { everySteps: 1 }, keepCheckpoints: 2, sampleEvery: 2, lossPlot: false }));
    // sampleEvery 2: only after the second epoch.
    expect(await fs.readdir(path.join(runDir, "samples"))).toEqual(["epoch-0001.png"]);
    expect(await fs.readdir(path.join(runDir, "attention"))).toEqual(["epoch-0001.png"]);
    expect((await listCheckpoints(runDir)).map((p) => path.basename(p))).toEqual(["step-0000005", "step-0000006"]);
    expect(path.basename((await latestCheckpoint(runDir))!)).toBe("step-0000006");
  });

  it("a run stopped after epoch 1 and resumed ends bit-identical to an unbroken run", async () => {
    const unbroken = setup(path.join(tmp, "unbroken"));
    await train(unbroken);

    const dir = path.join(tmp, "resumed");
    await train(setup(dir, 1, { epochs: 1 }));
    // Different initial weights: everything must come from the checkpoint.
    const resumed = setup(dir, 50);
    const result = await train({ ...resumed, resume: true });
    expect(result.resumedFrom).toBe(path.join(dir, "checkpoints", "step-0000003"));
    expect(result).toMatchObject({ status: "completed", step: 9, epochsCompleted: 3 });

    expect(changedKeys(snapshotState(unbroken.g), snapshotState(resumed.g))).toEqual([]);
    expect(changedKeys(snapshotState(unbroken.d), snapshotState(resumed.d))).toEqual([]);
    // The log reads like the unbroken run's.
    const strip = (rs: Awaited<ReturnType<typeof readMetrics>>) => rs.map((r) => [r.type, r.epoch, r.step, r.dLoss, r.gLoss]);
    expect(strip(await readMetrics(path.join(dir, "metrics.jsonl")))).toEqual(strip(await readMetrics(path.join(tmp, "unbroken", "metrics.jsonl"))));
  });

  it("a run aborted mid-epoch and resumed ends bit-identical to an unbroken run", async () => {
    const unbroken = setup(path.join(tmp, "unbroken2"), 1, { dSteps: 2, epochs: 2, beta1: 0.5 });
    await train(unbroken);

    const dir = path.join(tmp, "aborted");
    const controller = new AbortController();
    const first = setup(dir, 1, { dSteps: 2, epochs: 2, beta1: 0.5, signal: controller.signal });
    const aborted = await train({ ...first, callbacks: [{ onBatchEnd: (ctx) => void (ctx.step === 3 && controller.abort()) }] });
    expect(aborted).toMatchObject({ status: "aborted", step: 3 });
    const state = JSON.parse(await fs.readFile(path.join(dir, "checkpoints", "step-0000003", "state.json"), "utf8"));
    expect(state).toMatchObject({ epoch: 1, batchInEpoch: 2 });
    // The grid of the epoch the abort cut short is drawn too (the run's last picture).
    expect(await fs.readdir(path.join(dir, "samples"))).toEqual(["epoch-0000.png", "epoch-0001.png"]);

    const resumed = setup(dir, 77, { dSteps: 2, epochs: 2, beta1: 0.5 });
    const result = await train({ ...resumed, resume: true });
    expect(result).toMatchObject({ status: "completed", step: 4 });
    expect(changedKeys(snapshotState(unbroken.g), snapshotState(resumed.g))).toEqual([]);
    expect(changedKeys(snapshotState(unbroken.d), snapshotState(resumed.d))).toEqual([]);
    const epochs = (await readMetrics(path.join(dir, "metrics.jsonl"))).filter((r) => r.type === "epoch");
    const expected = (await readMetrics(path.join(tmp, "unbroken2", "metrics.jsonl"))).filter((r) => r.type === "epoch");
    // The epoch split by the abort still averages all of its steps.
    expect(epochs.map((r) => [r.epoch, r.dLoss, r.gLoss])).toEqual(expected.map((r) => [r.epoch, r.dLoss, r.gLoss]));
  });
});
