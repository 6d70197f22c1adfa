import "@tensorflow/tfjs-backend-cpu";
import { decodeSafetensors } from "@gan/layers";
import type { GanLoss } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { checkpointing } from "./callbacks/checkpointing";
import type { CheckpointFiles } from "./checkpoint/checkpoint-store";
import { MemoryCheckpointStore } from "./checkpoint/memory-checkpoint-store";
import { CHECKPOINT_FILES } from "./checkpoint/training-state";
import { arrayDataSource } from "./data-source";
import { DEFAULT_MAX_LOSS, DivergenceError, ExplodingLossError, NonFiniteCheckpointError, formatValue } from "./errors";
import { GanTrainer, type GanTrainerOptions } from "./index";
import type { StepMetrics } from "./metrics";
import { TinyDiscriminator, TinyGenerator, simpleBce, tinyImages } from "./test-support";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function tinyTrainer(options: Partial<GanTrainerOptions> = {}): { trainer: GanTrainer; steps: StepMetrics[]; store: MemoryCheckpointStore } {
  const steps: StepMetrics[] = [];
  const store = new MemoryCheckpointStore();
  const trainer = new GanTrainer({
    generator: new TinyGenerator(),
    discriminator: new TinyDiscriminator(),
    loss: simpleBce,
    data: arrayDataSource(tinyImages(8), { batchSize: 4 }),
    epochs: 20,
    store,
    callbacks: [{ onBatchEnd: (_ctx, m) => void steps.push(m) }, checkpointing({ everySteps: 1 })],
    ...options,
  });
  return { trainer, steps, store };
}

/** The tensors of a checkpoint's safetensors files with NaN or ±Infinity, as `file: name`. */
function nonFiniteIn(content: CheckpointFiles): string[] {
  const bad: string[] = [];
  for (const [file, bytes] of Object.entries(content.files)) {
    if (!file.endsWith(".safetensors")) continue;
    const { tensors } = decodeSafetensors(bytes, file);
    for (const [name, t] of Object.entries(tensors)) {
      if ((t.dataSync() as Float32Array).some((v) => !Number.isFinite(v))) bad.push(`${file}: ${name}`);
      t.dispose();
    }
  }
  return bad;
}

/** Multiplies the generator loss by `factor` from call `from` on. */
function scaledFrom(from: number, factor: number): GanLoss {
  let calls = 0;
  return {
    ...simpleBce,
    generatorLoss: (fake) => {
      calls++;
      const loss = simpleBce.generatorLoss(fake);
      return calls < from ? loss : tf.tidy(() => tf.mul(loss, factor) as tf.Scalar);
    },
  };
}

describe("divergence", () => {
  it("stops a run with absurd learning rates before its loss reaches 1e37, and keeps a finite, resumable checkpoint", async () => {
    const { trainer, steps, store } = tinyTrainer({ gLr: 1e6, dLr: 1e6 });
    const error = await trainer.fit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergenceError);
    const d = (error as ExplodingLossError).details;
    expect(Math.max(Math.abs(d.dLoss), Math.abs(d.gLoss))).toBeLessThan(1e37);
    expect(steps.length).toBeLessThan(20 * 2);
    for (const m of steps) expect(Math.max(Math.abs(m.dLoss), Math.abs(m.gLoss))).toBeLessThanOrEqual(DEFAULT_MAX_LOSS);
    const latest = await store.latest();
    expect(latest).toBeDefined();
    expect((error as Error).message).toContain(`the last good checkpoint is ${store.locate(latest!)}`);
    expect((error as Error).message).toContain("now gLr 1e6, dLr 1e6");
    const good = await store.read(latest!);
    expect(nonFiniteIn(good)).toEqual([]);
    trainer.dispose();

    // Resumed with lower learning rates, its first step is finite (a checkpoint with Inf in Adam's state gave NaN).
    const resumed = tinyTrainer({ gLr: 1e-4, dLr: 4e-4, maxLoss: Number.POSITIVE_INFINITY });
    await resumed.store.write(latest!, good);
    await resumed.trainer.resume();
    const values = await resumed.trainer.trainStep(tinyImages(4, 5));
    expect(Number.isFinite(values.dLoss) && Number.isFinite(values.gLoss)).toBe(true);
    resumed.trainer.dispose();
  });

  it("stops on an exploding but finite loss, naming the loss, its value, the step and the threshold", async () => {
    const { trainer, steps, store } = tinyTrainer({ loss: scaledFrom(3, 1e8) });
    const error = await trainer.fit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExplodingLossError);
    const e = error as ExplodingLossError;
    expect(e.losses).toEqual(["gLoss"]);
    expect(e.details).toMatchObject({ step: 3, epoch: 1, batch: 1, batchesPerEpoch: 2, maxLoss: 1e4, gLr: 1e-4, dLr: 4e-4 });
    expect(e.message).toMatch(/^Training diverged: the generator loss \(gLoss\) is [\d.]+e7 at step 3 \(epoch 1, batch 1\/2\), beyond maxLoss 1e4\./);
    expect(e.message).toContain("No checkpoint of this state was written; the last good checkpoint is memory://step-0000002.");
    expect(steps).toHaveLength(2);
    expect(await store.list()).toEqual(["step-0000001", "step-0000002"]);
    trainer.dispose();
  });

  it("lets maxLoss: Infinity turn the check off, and a healthy run never trips the default", async () => {
    const off = tinyTrainer({ loss: scaledFrom(3, 1e8), maxLoss: Number.POSITIVE_INFINITY, epochs: 2 });
    await expect(off.trainer.fit()).resolves.toMatchObject({ status: "completed", step: 4 });
    off.trainer.dispose();
    const healthy = tinyTrainer({ epochs: 3 });
    await expect(healthy.trainer.fit()).resolves.toMatchObject({ status: "completed", step: 6 });
    healthy.trainer.dispose();
  });

  it("checks the maxLoss option", () => {
    for (const maxLoss of [0, -1, Number.NaN]) {
      expect(() => tinyTrainer({ maxLoss })).toThrow(/option 'maxLoss' must be a positive number or Infinity/);
    }
  });
});

/** Sets the first value of the first second moment of D's Adam to Infinity. */
async function poisonAdam(trainer: GanTrainer): Promise<void> {
  const weights = await trainer.dOptimizer.getWeights();
  const slots = (weights.length - 1) / 2;
  const poisoned = weights.map((w, i) => {
    if (i !== 1 + slots) return w;
    const values = (w.tensor.dataSync() as Float32Array).slice();
    values[0] = Number.POSITIVE_INFINITY;
    return { name: w.name, tensor: tf.tensor(values, w.tensor.shape) };
  });
  await trainer.dOptimizer.setWeights(poisoned);
}

describe("finite checkpoints", () => {
  it("refuses to write a checkpoint with one Inf in Adam's state; the previous one stays the latest", async () => {
    const { trainer, store } = tinyTrainer();
    await trainer.trainStep(tinyImages(4, 5));
    const live = tf.memory().numTensors;
    await trainer.saveCheckpoint();
    expect(tf.memory().numTensors).toBe(live); // the check frees what it reduces
    await trainer.trainStep(tinyImages(4, 6));
    await poisonAdam(trainer);

    const before = tf.memory().numTensors;
    const error = await trainer.saveCheckpoint().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(error).toBeInstanceOf(NonFiniteCheckpointError);
    const e = error as NonFiniteCheckpointError;
    expect(e.details.tensors).toEqual([{ file: CHECKPOINT_FILES.dOptimizer, tensor: "net.0.weight/v", count: 1 }]);
    expect(e.details).toMatchObject({ step: 0, lastCheckpoint: "memory://step-0000000" });
    expect(e.message).toContain(`holds 1 non-finite values in 1 tensors (${CHECKPOINT_FILES.dOptimizer}: net.0.weight/v)`);
    expect(await store.list()).toEqual(["step-0000000"]);
    expect(await store.latest()).toBe("step-0000000");
    trainer.dispose();
  });
});

it("a run whose optimizer state turns non-finite while its losses look fine fails at the next checkpoint, which is not written", async () => {
  let trainer: GanTrainer | undefined;
  const poisonAtStep3 = { onBatchEnd: async (ctx: { step: number }) => (ctx.step === 3 ? poisonAdam(trainer!) : undefined) };
  const made = tinyTrainer();
  trainer = made.trainer;
  trainer.callbacks.unshift(poisonAtStep3);
  const error = await trainer.fit().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NonFiniteCheckpointError);
  expect((error as NonFiniteCheckpointError).details).toMatchObject({ step: 3, lastCheckpoint: "memory://step-0000002" });
  expect(await made.store.latest()).toBe("step-0000002");
  expect(nonFiniteIn(await made.store.read("step-0000002"))).toEqual([]);
  trainer.dispose();
});

describe("formatValue", () => {
  it("writes losses and rates short", () => {
    expect([1.5e37, 93098566746112, 1e4, 1e6, 5e-5, 2e-4, 1.3412, 0, Number.NaN, Number.NEGATIVE_INFINITY].map(formatValue)).toEqual([
      "1.5e37", "9.31e13", "1e4", "1e6", "5e-5", "2e-4", "1.34", "0", "NaN", "-Infinity",
    ]);
  });
});
