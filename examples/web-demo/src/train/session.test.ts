/**
 * The Train page's training session in Node (the wasm backend with the training kernels, checkpoints in memory): the fast recipe at width 2
 * trains, pauses and resumes, continues bit-identically from a checkpoint (what a reloaded page does), and saves a
 * generator that the viewer's loader takes.
 */
import { useWasmBackend } from "@gan/backend";
import { checkWebManifest } from "@gan/recipes";
import { MemoryCheckpointStore } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadModel } from "../model";
import { type Progress, type RunConfig, runRecipe, SAMPLE_COUNT, type TrainData, TrainingSession } from "./session";

/** 8 images of 64 × 64: a bright square at a different place in each. */
function squares(): TrainData {
  const images = Array.from({ length: 8 }, (_, i) => {
    const image = new Uint8Array(64 * 64);
    for (let y = 8 + 4 * i; y < 24 + 4 * i; y++) for (let x = 10 + 3 * i; x < 30 + 3 * i; x++) image[y * 64 + x] = 255;
    return image;
  });
  return { images, size: 64, channels: 1, labels: Int32Array.from({ length: 8 }, (_, i) => i % 2), classes: ["a", "b"] };
}

const CONFIG: RunConfig = { id: "test", recipe: "fast", seed: 3, dataName: "squares", width: 2, batchSize: 2 };

/** The generator's weights, name → values. */
function weights(session: TrainingSession): Record<string, number[]> {
  return Object.fromEntries(Object.entries(session.trainer.generator.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
}

beforeAll(async () => {
  await useWasmBackend();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("TrainingSession", () => {
  it("applies the named recipe with the run's overrides and no evaluation", () => {
    const recipe = runRecipe(CONFIG, 3);
    expect([recipe.name, recipe.model.width, recipe.model.channels, recipe.batchSize, recipe.training.eval]).toEqual(["fast", 2, 3, 2, undefined]);
    expect(recipe.training.ema).toBeDefined();
  });

  it("trains N steps with finite losses, pauses and resumes, and resumes a reloaded run bit-identically", async () => {
    const data = squares();
    // Unbroken: 4 steps.
    const progress: Progress[] = [];
    const unbroken = await TrainingSession.open({ ...CONFIG, maxSteps: 4 }, data, new MemoryCheckpointStore(), (p) => progress.push(p));
    const before = await unbroken.samples();
    expect(before.generator.length).toBe(SAMPLE_COUNT * 64 * 64);
    expect(before.ema).toBeUndefined(); // the EMA starts with training
    const fitting = unbroken.fit();
    await unbroken.pause(); // after a whole step, with a checkpoint written
    expect(unbroken.isPaused).toBe(true);
    const paused = unbroken.step;
    expect(paused).toBeGreaterThanOrEqual(1);
    expect(unbroken.store === undefined).toBe(false);
    const during = await unbroken.samples(); // drawn while paused: training does not move
    expect(unbroken.step).toBe(paused);
    expect(during.ema?.length).toBe(SAMPLE_COUNT * 64 * 64);
    unbroken.resume();
    const result = await fitting;
    expect([result.status, result.step]).toEqual(["aborted", 4]);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    for (const p of progress) expect(Number.isFinite(p.dLoss) && Number.isFinite(p.gLoss)).toBe(true);
    const after = await unbroken.samples();
    const change = after.generator.reduce((m, v, i) => m + Math.abs(v - before.generator[i]), 0) / after.generator.length;
    expect(change).toBeGreaterThan(1e-4);
    expect(during.step).toBe(paused);
    const expected = weights(unbroken);
    unbroken.dispose();

    // A run stopped after 2 steps, then a new session on its store (a reloaded page) trains to step 4.
    const store = new MemoryCheckpointStore();
    const first = await TrainingSession.open({ ...CONFIG, maxSteps: 2 }, data, store);
    await first.fit();
    first.dispose();
    const second = await TrainingSession.open({ ...CONFIG, maxSteps: 4 }, data, store);
    expect(second.resumedFrom).toBeDefined();
    expect(second.step).toBe(2);
    await second.fit();
    expect(second.step).toBe(4);
    expect(weights(second)).toEqual(expected);
    second.dispose();
  });

  it("saves a generator (and its EMA) that the viewer loads, with a manifest the schema accepts", async () => {
    const session = await TrainingSession.open({ ...CONFIG, maxSteps: 1 }, squares(), new MemoryCheckpointStore());
    await session.fit();
    const samples = await session.samples();
    for (const ema of [false, true]) {
      const saved = await session.save({ ema });
      const manifest = checkWebManifest(JSON.parse(JSON.stringify(saved.manifest)), "manifest.json");
      expect(manifest.model).toEqual({
        model: "sagan",
        zDim: 20,
        width: 2,
        channels: 1,
        generatorSpectralNorm: false,
        workingSize: 32,
        latentGap: { dims: 1, gap: 2, scale: 0.5 },
      });
      expect(manifest.attention).toEqual([{ name: "self_attntion1", after: 3, side: 16 }]);
      expect([manifest.source.step, manifest.source.checkpoint, manifest.source.ema]).toEqual([1, "step-0000001", ema]);
      expect((saved.config.extra as { model: { width: number } }).model.width).toBe(2);

      const files: Record<string, BodyInit> = { "/m/manifest.json": JSON.stringify(manifest), "/m/generator.safetensors": new Uint8Array(saved.weights) };
      vi.stubGlobal("fetch", async (url: URL) => new Response(files[url.pathname] ?? null, { status: files[url.pathname] ? 200 : 404 }));
      const { generator } = await loadModel(new URL("http://127.0.0.1/m/"));
      const drawn = tf.tidy(() => {
        const z = session.trainer.fixedNoise(SAMPLE_COUNT);
        return generator.forward(z, { attentionMaps: false }).images.dataSync() as Float32Array;
      });
      generator.dispose();
      // The viewer draws what the page's grid drew (BatchNorm in eval mode), to rounding.
      const grid = ema ? samples.ema! : samples.generator;
      const diff = drawn.reduce((m, v, i) => Math.max(m, Math.abs(v - grid[i])), 0);
      expect(diff).toBeLessThan(1e-4);
    }
    session.dispose();
  });

  // The page asks for grids every couple of seconds, also while a save waits on its downloads (long on a GPU). The
  // EMA's grid swaps the averaged weights and their standing statistics into the generator for a moment: run at the
  // same time as a save, the saved file and the generator kept them.
  it("runs one job at a time: grids asked for during a save leave the saved file and the generator as they were", async () => {
    const session = await TrainingSession.open({ ...CONFIG, maxSteps: 2 }, squares(), new MemoryCheckpointStore());
    await session.fit();
    const trained = weights(session);
    const alone = await session.save();
    const [, during] = await Promise.all([session.samples(), session.save(), session.samples()]);
    expect(Buffer.from(during.weights).equals(Buffer.from(alone.weights))).toBe(true);
    expect(weights(session)).toEqual(trained);
    session.dispose();
  });

  // Start pressed while a job runs (a grid asked for just before, waiting on its download): the first step must not
  // train the generator that job may have swapped the EMA's weights into.
  it("starts training only once a job already running has finished", async () => {
    let firstStep!: () => void;
    const stepped = new Promise<void>((resolve) => {
      firstStep = resolve;
    });
    const session = await TrainingSession.open({ ...CONFIG, maxSteps: 1 }, squares(), new MemoryCheckpointStore(), () => firstStep());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stepSeenByJob: number | undefined;
    const job = session.run(async () => {
      await gate;
      stepSeenByJob = session.step;
    });
    const fitting = session.fit();
    // Long enough for a step of this width-2 net (under a second) had training started at once.
    await Promise.race([stepped, new Promise((resolve) => setTimeout(resolve, 3000))]);
    release();
    await job;
    expect(stepSeenByJob).toBe(0);
    expect((await fitting).step).toBe(1);
    session.dispose();

    // Stop pressed while training waits for such a job: the run ends (it is not lost when training starts).
    const stopped = await TrainingSession.open({ ...CONFIG, maxSteps: 3 }, squares(), new MemoryCheckpointStore());
    let releaseAgain!: () => void;
    const gateAgain = new Promise<void>((resolve) => {
      releaseAgain = resolve;
    });
    const blocking = stopped.run(() => gateAgain);
    const fittingAgain = stopped.fit();
    const ended = stopped.stop();
    releaseAgain();
    await blocking;
    expect(await ended).toMatchObject({ status: "aborted" });
    expect(await fittingAgain).toMatchObject({ status: "aborted" });
    expect(stopped.step).toBeLessThan(3);
    stopped.dispose();
  });
});
