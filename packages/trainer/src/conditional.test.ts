import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainerCallback } from "./callback";
import { checkpointing } from "./callbacks/checkpointing";
import { generatorEma } from "./callbacks/ema";
import { MemoryCheckpointStore } from "./checkpoint/memory-checkpoint-store";
import { type DataSource, arrayDataSource } from "./data-source";
import { GanTrainer } from "./gan-trainer";
import { drawLabels } from "./gan-step";
import { Random } from "@gan/layers";
import { fixedLabels } from "./sampler";
import { TinyDiscriminator, TinyGenerator, changedKeys, simpleBce, snapshotState, tinyImages } from "./test-support";

let images: tf.Tensor4D;
const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1, 0];
beforeAll(async () => {
  await tf.setBackend("cpu");
  images = tinyImages(12);
});
afterAll(() => images.dispose());

/** A labelled, shuffling source: each epoch a permutation from its own RNG, as a real loader. */
function labelledSource(seed = 9): DataSource {
  const random = new Random(seed);
  return {
    batchSize: 4,
    batchesPerEpoch: 3,
    classes: ["a", "b", "c"],
    async *epoch() {
      const order = Array.from({ length: 12 }, (_, i) => i);
      for (let i = 11; i > 0; i--) {
        const j = Math.floor(random.nextFloat() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let s = 0; s < 12; s += 4) {
        const idx = order.slice(s, s + 4);
        yield { images: tf.tidy(() => tf.gather(images, tf.tensor1d(idx, "int32")) as tf.Tensor4D), labels: Int32Array.from(idx, (i) => labels[i]) };
      }
    },
    getState: () => random.getState(),
    setState: (state) => random.setState(state as ReturnType<Random["getState"]>),
  };
}

const conditional = (seed = 1) => ({ g: new TinyGenerator({ seed, numClasses: 3 }), d: new TinyDiscriminator({ seed: seed + 1, numClasses: 3 }) });

describe("conditional training", () => {
  it("draws the fakes' labels uniformly in [0, K) from the trainer's stream, one draw each", () => {
    const random = new Random(5);
    const drawn = drawLabels(random, 3000, 3);
    const values = Array.from(drawn.dataSync());
    expect(drawn.dtype).toBe("int32");
    expect(random.getState().counter).toBe(1);
    const counts = [0, 1, 2].map((c) => values.filter((v) => v === c).length);
    expect(values.every((v) => v >= 0 && v < 3)).toBe(true);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(100);
    drawn.dispose();
    const again = drawLabels(new Random(5), 3000, 3);
    expect(Array.from(again.dataSync())).toEqual(values);
    again.dispose();
  });

  it("fixed labels: i mod K, or one class per row of a grid", () => {
    const cycle = fixedLabels(7, 3);
    const rows = fixedLabels(8, 3, 2);
    expect(Array.from(cycle.dataSync())).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(Array.from(rows.dataSync())).toEqual([0, 0, 1, 1, 2, 2, 0, 0]);
    tf.dispose([cycle, rows]);
  });

  it("trains: both models change, the real labels reach D and the generator's classes differ", async () => {
    const { g, d } = conditional();
    const seen: number[][] = [];
    const spy = d.forward.bind(d);
    d.forward = (x, options) => {
      if (options?.labels) seen.push(Array.from(options.labels.dataSync()));
      return spy(x, options);
    };
    const g0 = snapshotState(g);
    const d0 = snapshotState(d);
    const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: labelledSource(), epochs: 1, seed: 3 });
    expect(trainer.numClasses).toBe(3);
    await trainer.fit();
    expect(changedKeys(g0, snapshotState(g)).length).toBeGreaterThan(0);
    expect(changedKeys(d0, snapshotState(d)).length).toBeGreaterThan(0);
    // 3 steps: D on real (its labels), D on fakes, D in the G step.
    expect(seen).toHaveLength(9);
    expect(seen.flat().every((v) => v >= 0 && v < 3)).toBe(true);
    // The same z drawn for two classes gives two images: the labels reach G.
    const z = tf.tidy(() => tf.tile(trainer.fixedNoise(1), [2, 1]));
    const two = tf.tensor1d([0, 2], "int32");
    const out = trainer.generate(z, two);
    const [a, b] = tf.unstack(out.images);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([z, two, out.images, a, b]);
    trainer.dispose();
    g.dispose();
    d.dispose();
  });

  it("keeps the number of live tensors constant over conditional steps (with the EMA and its statistics)", async () => {
    const { g, d } = conditional(4);
    const ema = generatorEma({ decay: 0.99, standingStatistics: { batches: 2, batchSize: 4 } });
    const counts: number[] = [];
    const probe: TrainerCallback = { onBatchEnd: () => void counts.push(tf.memory().numTensors) };
    const noiseProbe: TrainerCallback = {
      onBatchEnd: (ctx) => {
        const z = ctx.fixedNoise(3);
        const labels = ctx.fixedLabels(3, 1)!;
        const out = ctx.generate(z, labels);
        const byDefault = ctx.generate(z); // fixed labels i mod K
        tf.dispose([z, labels, out.images, ...out.attentionMaps, byDefault.images]);
      },
    };
    const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: labelledSource(), epochs: 10, seed: 3, callbacks: [ema, noiseProbe, { onBatchEnd: () => void ema.ema!.stateDict() }, probe] });
    await trainer.fit();
    expect(counts).toHaveLength(30);
    expect(new Set(counts.slice(1)).size).toBe(1);
    trainer.dispose();
    ema.ema?.dispose();
    g.dispose();
    d.dispose();
  });

  it("a conditional run stopped mid-epoch and resumed ends bit-identical to an unbroken one (weights, EMA, RNG)", async () => {
    const run = async (store: MemoryCheckpointStore, options: { stopAt?: number; resume?: boolean }) => {
      const { g, d } = conditional(options.resume ? 30 : 1); // a resumed run starts from other weights: the checkpoint's win
      const ema = generatorEma({ decay: 0.999, startStep: 2, standingStatistics: { batches: 2, batchSize: 6 } });
      const stopper: TrainerCallback = { onBatchEnd: (ctx) => void (ctx.step === options.stopAt && ctx.stop()) };
      const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: labelledSource(), epochs: 3, seed: 7, store, callbacks: [stopper, ema, checkpointing()] });
      try {
        if (options.resume) expect(await trainer.resume()).toBeDefined();
        const result = await trainer.fit();
        return { status: result.status, g: snapshotState(g), d: snapshotState(d), ema: snapshotState(ema.ema!), random: trainer.random.getState() };
      } finally {
        trainer.dispose();
        ema.ema?.dispose();
        g.dispose();
        d.dispose();
      }
    };
    const unbroken = await run(new MemoryCheckpointStore(), {});
    const store = new MemoryCheckpointStore();
    expect((await run(store, { stopAt: 4 })).status).toBe("aborted");
    const resumed = await run(store, { resume: true });
    expect(resumed.status).toBe("completed");
    expect(changedKeys(unbroken.g, resumed.g)).toEqual([]);
    expect(changedKeys(unbroken.d, resumed.d)).toEqual([]);
    expect(changedKeys(unbroken.ema, resumed.ema)).toEqual([]);
    expect(resumed.random).toEqual(unbroken.random);
    // Two draws per fake batch (z, labels): 9 steps of 1 D step + 1 G step.
    expect(unbroken.random.counter).toBe(36);
  });

  it("errors name the data: no labels, a label beyond numClasses, more classes than the model", async () => {
    const { g, d } = conditional();
    const plain = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4 }), epochs: 1 });
    await expect(plain.fit()).rejects.toThrow(/conditional on 3 classes, but option 'data' yields batches without labels.*ImageFolder.open\(dir, \{ labels: true \}\)/);
    plain.dispose();
    const beyond = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4, labels: labels.map((l) => (l === 2 ? 3 : l)) }), epochs: 1 });
    await expect(beyond.fit()).rejects.toThrow(/option 'data' yielded label 3 \(image \d of the batch\), but the model is conditional on 3 classes: labels must be in \[0, 3\)/);
    beyond.dispose();
    expect(() => new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4, labels, classes: ["a", "b", "c", "d"] }), epochs: 1 })).toThrow(
      /option 'data' has 4 classes \(a, b, c, d\) but the model is conditional on 3; build the models with numClasses 4/,
    );
    const d2 = new TinyDiscriminator({ numClasses: 2 });
    expect(() => new GanTrainer({ generator: g, discriminator: d2, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4, labels }), epochs: 1 })).toThrow(
      /generator is conditional on 3 classes but the discriminator on 2/,
    );
    for (const m of [g, d, d2]) m.dispose();
  });

  it("an unconditional model ignores labelled data and draws nothing more", async () => {
    const run = async (data: DataSource) => {
      const g = new TinyGenerator({ seed: 1 });
      const d = new TinyDiscriminator({ seed: 2 });
      const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data, epochs: 2, seed: 3 });
      await trainer.fit();
      const out = { g: snapshotState(g), counter: trainer.random.getState().counter, fixed: trainer.fixedLabels(4) };
      trainer.dispose();
      g.dispose();
      d.dispose();
      return out;
    };
    const a = await run(arrayDataSource(images, { batchSize: 4 }));
    const b = await run(arrayDataSource(images, { batchSize: 4, labels }));
    expect(changedKeys(a.g, b.g)).toEqual([]);
    expect(a.counter).toBe(12); // one z per D step and per G step
    expect(a.fixed).toBeUndefined();
  });
});
