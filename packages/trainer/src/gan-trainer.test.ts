import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainEnd, TrainerCallback } from "./callback";
import { checkpointing } from "./callbacks/checkpointing";
import { FileCheckpointStore, latestCheckpoint, listCheckpoints } from "./node/file-checkpoint-store";
import { arrayDataSource } from "./data-source";
import { NonFiniteLossError } from "./errors";
import { MemoryCheckpointStore } from "./checkpoint/memory-checkpoint-store";
import { GanTrainer } from "./gan-trainer";
import type { EpochMetrics, StepMetrics } from "./metrics";
import { TinyDiscriminator, TinyGenerator, changedKeys, simpleBce, snapshotState, tinyImages } from "./test-support";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-trainer-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Records every hook call. */
function recorder() {
  const steps: StepMetrics[] = [];
  const epochs: EpochMetrics[] = [];
  const ends: TrainEnd[] = [];
  let starts = 0;
  const cb: TrainerCallback = {
    onTrainStart: () => {
      starts++;
    },
    onBatchEnd: (_ctx, m) => {
      steps.push(m);
    },
    onEpochEnd: async (_ctx, m) => {
      await new Promise((r) => setTimeout(r, 1)); // async hooks are awaited
      epochs.push(m);
    },
    onTrainEnd: (_ctx, e) => {
      ends.push(e);
    },
  };
  return { cb, steps, epochs, ends, starts: () => starts };
}

describe("GanTrainer.fit", () => {
  it("runs every batch, sizes z by the real batch, averages epochs over batches and changes both models", async () => {
    const g = new TinyGenerator();
    const d = new TinyDiscriminator();
    const zSizes: number[] = [];
    const forward = g.forward.bind(g);
    g.forward = (z: tf.Tensor) => {
      if (g.training) zSizes.push(z.shape[0]);
      return forward(z);
    };
    const images = tinyImages(10);
    const rec = recorder();
    const g0 = snapshotState(g);
    const d0 = snapshotState(d);
    const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4 }), epochs: 2, callbacks: [rec.cb] });
    const result = await trainer.fit();

    expect(result).toMatchObject({ status: "completed", step: 6, epochsCompleted: 2 });
    expect(rec.starts()).toBe(1);
    expect(rec.ends).toEqual([{ status: "completed" }]);
    // Batches of 4, 4, 2: each step draws z for the D step and for the G step with the real batch's size.
    expect(zSizes).toEqual([4, 4, 4, 4, 2, 2, 4, 4, 4, 4, 2, 2]);
    expect(rec.steps.map((s) => [s.epoch, s.step, s.batch, s.images])).toEqual([
      [0, 1, 1, 4],
      [0, 2, 2, 4],
      [0, 3, 3, 2],
      [1, 4, 1, 4],
      [1, 5, 2, 4],
      [1, 6, 3, 2],
    ]);
    for (const s of rec.steps) {
      for (const k of ["dLoss", "gLoss", "dReal", "dFake", "dFakeG", "imagesPerSec", "stepMs"] as const) {
        expect(Number.isFinite(s[k]), `${k} of step ${s.step}`).toBe(true);
      }
      // BCE loss: scores are probabilities.
      for (const k of ["dReal", "dFake", "dFakeG"] as const) expect(s[k] > 0 && s[k] < 1).toBe(true);
      expect(s.batchesPerEpoch).toBe(3);
    }
    expect(rec.epochs).toHaveLength(2);
    for (const [e, m] of rec.epochs.entries()) {
      const mine = rec.steps.filter((s) => s.epoch === e);
      const mean = (k: "dLoss" | "gLoss") => mine.reduce((a, s) => a + s[k], 0) / mine.length;
      expect(m).toMatchObject({ type: "epoch", epoch: e, steps: 3, images: 10, step: 3 * (e + 1) });
      expect(m.dLoss).toBeCloseTo(mean("dLoss"), 12);
      expect(m.gLoss).toBeCloseTo(mean("gLoss"), 12);
    }
    expect(changedKeys(g0, snapshotState(g)).length).toBe(Object.keys(g0).length);
    expect(changedKeys(d0, snapshotState(d)).length).toBe(Object.keys(d0).length);
    // The models are left in training mode and the trainer's counters moved.
    expect(g.training && d.training).toBe(true);
    expect([trainer.step, trainer.epoch, trainer.batchInEpoch]).toEqual([6, 2, 0]);
    trainer.dispose();
    images.dispose();
  });

  it("keeps the number of live tensors constant from step 1 to step 50", async () => {
    const images = tinyImages(8);
    const counts = new Map<number, number>();
    const trainer = new GanTrainer({
      generator: new TinyGenerator({ attention: true }),
      discriminator: new TinyDiscriminator(),
      loss: simpleBce,
      data: arrayDataSource(images, { batchSize: 4 }),
      epochs: 25,
      callbacks: [{ onBatchEnd: (ctx) => void counts.set(ctx.step, tf.memory().numTensors) }],
    });
    await trainer.fit();
    expect(counts.size).toBe(50);
    expect(counts.get(50)).toBe(counts.get(1));
    trainer.dispose();
    images.dispose();
  });

  it("runs dSteps discriminator steps, each on its own batch, per generator step", async () => {
    const images = tinyImages(10);
    const rec = recorder();
    const g = new TinyGenerator();
    const zSizes: number[] = [];
    const forward = g.forward.bind(g);
    g.forward = (z: tf.Tensor) => {
      zSizes.push(z.shape[0]);
      return forward(z);
    };
    const trainer = new GanTrainer({ generator: g, discriminator: new TinyDiscriminator(), loss: simpleBce, data: arrayDataSource(images, { batchSize: 4 }), epochs: 1, dSteps: 2, callbacks: [rec.cb] });
    await trainer.fit();
    // Step 1: D on 4, D on 4, G on 4; step 2: the epoch's last batch alone: D on 2, G on 2.
    expect(zSizes).toEqual([4, 4, 4, 2, 2]);
    expect(rec.steps.map((s) => [s.step, s.batch, s.images])).toEqual([
      [1, 2, 8],
      [2, 3, 2],
    ]);
    expect(trainer.context().stepsPerEpoch).toBe(2);
    trainer.dispose();
    images.dispose();
  });

  it("stops after the current step on abort, saves a checkpoint and resolves", async () => {
    const images = tinyImages(12);
    const controller = new AbortController();
    const rec = recorder();
    const runDir = path.join(tmp, "abort");
    const trainer = new GanTrainer({
      generator: new TinyGenerator(),
      discriminator: new TinyDiscriminator(),
      loss: simpleBce,
      data: arrayDataSource(images, { batchSize: 4 }),
      epochs: 5,
      store: new FileCheckpointStore(runDir),
      signal: controller.signal,
      callbacks: [
        rec.cb,
        { onBatchEnd: (ctx) => void (ctx.step === 5 && controller.abort()) },
        checkpointing({ everyEpochs: 100 }),
      ],
    });
    const result = await trainer.fit();
    expect(result).toMatchObject({ status: "aborted", step: 5, epochsCompleted: 1 });
    expect(rec.steps).toHaveLength(5);
    expect(rec.ends).toEqual([{ status: "aborted" }]);
    const latest = await latestCheckpoint(runDir);
    expect(latest && path.basename(latest)).toBe("step-0000005");
    const state = JSON.parse(await fs.readFile(path.join(latest!, "state.json"), "utf8"));
    expect(state).toMatchObject({ step: 5, epoch: 1, batchInEpoch: 2 });
    trainer.dispose();
    images.dispose();
  });

  it("stops on a non-finite loss with a clear error and keeps the last good checkpoint", async () => {
    const images = tinyImages(8);
    const runDir = path.join(tmp, "nan");
    let calls = 0;
    const poisoned = {
      ...simpleBce,
      generatorLoss: (fake: tf.Tensor) => {
        calls++;
        const loss = simpleBce.generatorLoss(fake);
        if (calls < 3) return loss;
        return tf.tidy(() => tf.mul(loss, Number.NaN) as tf.Scalar);
      },
    };
    const rec = recorder();
    const trainer = new GanTrainer({
      generator: new TinyGenerator(),
      discriminator: new TinyDiscriminator(),
      loss: poisoned,
      data: arrayDataSource(images, { batchSize: 4 }),
      epochs: 3,
      store: new FileCheckpointStore(runDir),
      callbacks: [rec.cb, checkpointing({ everySteps: 1 })],
    });
    const error = await trainer.fit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const message = (error as Error).message;
    expect(message).toContain("step 3 (epoch 1, batch 1/2)");
    expect(message).toContain("the generator loss (gLoss) is NaN");
    expect(message).toContain(path.join(runDir, "checkpoints", "step-0000002"));
    expect((error as NonFiniteLossError).losses).toEqual(["gLoss"]);
    expect(rec.ends.map((e) => e.status)).toEqual(["failed"]);
    expect(rec.steps).toHaveLength(2);
    expect((await listCheckpoints(runDir)).map((p) => path.basename(p))).toEqual(["step-0000001", "step-0000002"]);
    expect(path.basename((await latestCheckpoint(runDir))!)).toBe("step-0000002");
    trainer.dispose();
    images.dispose();
  });

  it("gives callbacks a narrow context: counters, models, fixed noise, generate, stop and saveCheckpoint, not the trainer", async () => {
    const images = tinyImages(8);
    const seen: Array<Record<string, unknown>> = [];
    let drawn: number[] = [];
    const cb: TrainerCallback = {
      onBatchEnd: async (ctx) => {
        seen.push({ ...ctx });
        if (ctx.step === 1) {
          const z = ctx.fixedNoise(2);
          const out = ctx.generate(z);
          drawn = out.images.shape;
          tf.dispose([z, out.images, ...out.attentionMaps]);
          expect(ctx.generator.training).toBe(true); // generate() restored training mode
          await expect(ctx.saveCheckpoint()).rejects.toThrow("the trainer has no checkpoint store");
        }
        if (ctx.step === 3) ctx.stop();
      },
    };
    const trainer = new GanTrainer({ generator: new TinyGenerator(), discriminator: new TinyDiscriminator(), loss: simpleBce, data: arrayDataSource(images, { batchSize: 4 }), epochs: 5, callbacks: [cb] });
    const result = await trainer.fit();
    expect(result).toMatchObject({ status: "aborted", step: 3 });
    expect("trainer" in seen[0]).toBe(false);
    expect(seen[0]).toMatchObject({ epoch: 0, epochs: 5, step: 1, batchInEpoch: 1, batchesPerEpoch: 2, stepsPerEpoch: 2, totalSteps: 10, startStep: 0, resumed: false, lastCheckpointStep: -1, canCheckpoint: false, lossName: "bce" });
    expect(drawn).toEqual([2, 8, 8, 1]);

    // With a store, ctx.saveCheckpoint() saves into it and the context reports the step.
    const store = new MemoryCheckpointStore();
    const saving = new GanTrainer({
      generator: new TinyGenerator(),
      discriminator: new TinyDiscriminator(),
      loss: simpleBce,
      data: arrayDataSource(images, { batchSize: 4 }),
      epochs: 1,
      store,
      callbacks: [{ onBatchEnd: async (ctx) => void (ctx.step === 1 && (await ctx.saveCheckpoint({ keep: 1 }))) }, { onBatchEnd: (ctx) => void seen.push({ ...ctx }) }],
    });
    await saving.fit();
    expect(await store.list()).toEqual(["step-0000001"]);
    expect(seen.at(-2)).toMatchObject({ step: 1, lastCheckpointStep: 1, canCheckpoint: true });
    trainer.dispose();
    saving.dispose();
    images.dispose();
  });

  it("names the wrong option", () => {
    const g = new TinyGenerator();
    const d = new TinyDiscriminator();
    const data = arrayDataSource(tinyImages(2), { batchSize: 2 });
    const base = { generator: g, discriminator: d, loss: simpleBce, data, epochs: 1 };
    expect(() => new GanTrainer({ ...base, dSteps: 0 })).toThrow("option 'dSteps' must be an integer >= 1, got 0");
    expect(() => new GanTrainer({ ...base, beta2: 1 })).toThrow("option 'beta2' must be in [0, 1), got 1");
    expect(() => new GanTrainer({ ...base, gLr: -1 })).toThrow("option 'gLr' must be a positive number");
    expect(() => new GanTrainer({ ...base, data: {} as never })).toThrow("option 'data' must have an epoch(index) method");
    expect(() => new GanTrainer({ ...base, loss: "wasserstein" })).toThrow("option 'loss': Unknown loss 'wasserstein'");
    const named = new GanTrainer({ ...base, loss: "hinge" });
    expect([named.loss.name, named.options.scores]).toEqual(["hinge", "logits"]);
    named.dispose();
  });
});
