import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMA_GENERATOR_FILE, generatorEma } from "./callbacks/ema";
import { latestCheckpoint } from "./checkpoint/checkpoint-store";
import { ModelEma } from "./ema";
import { train } from "./run/train";
import { ShufflingSource, TinyDiscriminator, TinyGenerator, simpleBce, snapshotState, tinyImages } from "./test-support";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-ema-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function setParams(g: TinyGenerator, value: number): void {
  for (const p of g.parameters()) p.assign(tf.fill(p.shape, value));
}

describe("ModelEma", () => {
  it("copies before startStep, then averages parameters with decay; buffers are copied", () => {
    const g = new TinyGenerator();
    const ema = new ModelEma(g, { decay: 0.9, startStep: 2 });
    setParams(g, 1);
    ema.update(1); // before startStep: copy
    setParams(g, 3);
    ema.update(2); // 0.9·1 + 0.1·3 = 1.2
    setParams(g, 5);
    ema.update(3); // 0.9·1.2 + 0.1·5 = 1.58
    const params = new Set<tf.Tensor>(g.parameters());
    const live = g.stateDict();
    for (const [name, v] of Object.entries(ema.stateDict())) {
      const values = Array.from(v.dataSync());
      if (params.has(live[name])) for (const x of values) expect(x).toBeCloseTo(1.58, 5);
      else expect(values).toEqual(Array.from(live[name].dataSync())); // running stats, counters
    }
    expect(ema.updateCount).toBe(3);
    ema.dispose();
    g.dispose();
  });

  it("apply() swaps the average in and restores the trained weights, also on error", async () => {
    const g = new TinyGenerator();
    const ema = new ModelEma(g, { decay: 0.5 });
    const before = snapshotState(g);
    setParams(g, 2);
    ema.update(0); // params: 0.5·initial + 0.5·2
    const trained = snapshotState(g);
    const inside = await ema.apply(() => snapshotState(g));
    expect(inside[Object.keys(before)[0]][0]).toBeCloseTo(0.5 * before[Object.keys(before)[0]][0] + 1, 5);
    expect(snapshotState(g)).toEqual(trained);
    await expect(ema.apply(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(snapshotState(g)).toEqual(trained);
    ema.dispose();
    g.dispose();
  });

  it("rejects bad options", () => {
    const g = new TinyGenerator();
    expect(() => new ModelEma(g, { decay: 1.5 })).toThrow(/decay/);
    expect(() => new ModelEma(g, { startStep: -1 })).toThrow(/startStep/);
    g.dispose();
  });
});

describe("generatorEma callback", () => {
  it("saves generator-ema.safetensors into checkpoints and reloads it on resume", async () => {
    const images = tinyImages(8);
    const runDir = path.join(tmp, "run");
    const make = () => ({ g: new TinyGenerator({ seed: 1 }), d: new TinyDiscriminator({ seed: 2 }) });
    const a = make();
    const cb = generatorEma({ decay: 0.9 });
    await train({ generator: a.g, discriminator: a.d, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 2, seed: 3, runDir, samples: false, attention: false, lossPlot: false, callbacks: [cb] });
    const last = await latestCheckpoint(runDir);
    expect(last).toBeDefined();
    const saved = decodeSafetensors(await fs.readFile(path.join(last!, EMA_GENERATOR_FILE)));
    expect(Object.keys(saved.tensors).sort()).toEqual(Object.keys(a.g.stateDict()).sort());
    expect(saved.tensors["layer1.1.num_batches_tracked"]?.dtype).toBe("int32");
    expect(cb.ema?.updateCount).toBe(4);
    const emaValues = snapshotState({ stateDict: () => cb.ema!.stateDict() });
    tf.dispose(Object.values(saved.tensors));

    const b = make();
    const cb2 = generatorEma({ decay: 0.9 });
    await train({ generator: b.g, discriminator: b.d, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 2, seed: 3, runDir, resume: true, samples: false, attention: false, lossPlot: false, callbacks: [cb2] });
    expect(snapshotState({ stateDict: () => cb2.ema!.stateDict() })).toEqual(emaValues);
    for (const m of [a.g, a.d, b.g, b.d]) m.dispose();
    cb.ema?.dispose();
    cb2.ema?.dispose();
    images.dispose();
  });
});
