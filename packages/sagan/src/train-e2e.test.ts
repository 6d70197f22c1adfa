/**
 * End to end through the public APIs: the real DCGAN (BCE) and SAGAN (hinge) at a tiny width on 64×64 images
 * from @gan/data's DataLoader, trained with `train()` for 2 epochs of 2 batches (4 and 2 images), the run folder checked.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ArrayImageDataset, DataLoader } from "@gan/data";
import * as dcgan from "@gan/dcgan";
import { bceLoss, hingeLoss } from "@gan/losses";
import * as sagan from "./index";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StepMetrics, dataLoaderSource } from "@gan/trainer";
import { listCheckpoints, readMetrics, train } from "@gan/trainer/node";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-e2e-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** 6 gray 64×64 images (batches of 4 and 2): blurry blobs, so the data is not pure noise. */
function loader(): DataLoader {
  const images = Array.from({ length: 6 }, (_, i) =>
    Uint8Array.from({ length: 64 * 64 }, (_, p) => {
      const x = p % 64;
      const y = Math.floor(p / 64);
      const cx = 16 + 4 * i;
      return Math.max(0, 255 - 6 * Math.hypot(x - cx, y - 32));
    }),
  );
  return new DataLoader(new ArrayImageDataset(images, { height: 64, width: 64 }), { batchSize: 4, seed: 1 });
}

async function trainAndCheck(name: string, generator: GanGenerator, discriminator: GanDiscriminator, loss: typeof bceLoss | typeof hingeLoss) {
  const runDir = path.join(tmp, name);
  const g0 = snapshotState(generator);
  const d0 = snapshotState(discriminator);
  const steps: StepMetrics[] = [];
  const result = await train({
    generator,
    discriminator,
    loss: loss(),
    data: dataLoaderSource(loader()),
    epochs: 2,
    seed: 1,
    runDir,
    // Few sample images: the pure-JS CPU backend's softmax over SAGAN's 1024×1024 maps is slow.
    samples: { count: 4 },
    attention: { count: 2 },
    callbacks: [{ onBatchEnd: (_ctx, m) => void steps.push(m) }],
  });
  expect(result).toMatchObject({ status: "completed", step: 4, epochsCompleted: 2 });
  expect(steps.map((m) => m.images)).toEqual([4, 2, 4, 2]);
  for (const m of steps) {
    for (const k of ["dLoss", "gLoss", "dReal", "dFake", "dFakeG"] as const) expect(Number.isFinite(m[k])).toBe(true);
  }
  expect(changedKeys(g0, snapshotState(generator)).length).toBeGreaterThan(0);
  expect(changedKeys(d0, snapshotState(discriminator)).length).toBeGreaterThan(0);
  const records = await readMetrics(path.join(runDir, "metrics.jsonl"));
  expect(records.filter((r) => r.type === "epoch")).toHaveLength(2);
  const sample = await sharp(path.join(runDir, "samples", "epoch-0001.png")).metadata();
  expect(sample.format).toBe("png");
  expect((await sharp(path.join(runDir, "losses.png")).metadata()).format).toBe("png");
  expect((await listCheckpoints(runDir)).map((p) => path.basename(p))).toEqual(["step-0000002", "step-0000004"]);
  return { runDir, steps };
}

describe("end to end", () => {
  it("trains the reference DCGAN with BCE", async () => {
    const g = dcgan.createGenerator({ width: 2, seed: 1 });
    const d = dcgan.createDiscriminator({ width: 2, seed: 2 });
    const { runDir, steps } = await trainAndCheck("dcgan", g, d, bceLoss);
    // BCE: D scores are probabilities; no attention maps, so no attention folder.
    for (const m of steps) expect(m.dReal > 0 && m.dReal < 1).toBe(true);
    await expect(fs.access(path.join(runDir, "attention"))).rejects.toThrow();
    const config = JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));
    expect(config.trainer.loss).toBe("bce");
    g.dispose();
    d.dispose();
  });

  it("trains the reference SAGAN with hinge loss and draws its attention maps", async () => {
    const g = sagan.createGenerator({ width: 2, seed: 1 });
    const d = sagan.createDiscriminator({ width: 2, seed: 2 });
    const { runDir } = await trainAndCheck("sagan", g, d, hingeLoss);
    // Two attention layers (16×16 and 32×32 maps): the images and one map row each, 2 images of 64 px.
    const meta = await sharp(path.join(runDir, "attention", "epoch-0001.png")).metadata();
    expect([meta.width, meta.height]).toEqual([2 * 64 + 3 * 2, 3 * 64 + 4 * 2]);
    const config = JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));
    expect(config.trainer).toMatchObject({ loss: "hinge", scores: "logits" });
    g.dispose();
    d.dispose();
  }, 600_000);
});

function snapshotState(module: { stateDict(): Record<string, tf.Tensor> }): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, v] of Object.entries(module.stateDict())) out[k] = (v.dataSync() as Float32Array | Int32Array).slice();
  return out;
}

function changedKeys(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): string[] {
  return Object.keys(a).filter((k) => a[k].length !== b[k].length || Array.from(a[k]).some((x, i) => !Object.is(x, b[k][i])));
}
