import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { TrainerContext } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evalCallback } from "../src/eval-callback";
import type { GanGenerator } from "@gan/spec";
import { sampleGenerator } from "../src/evaluate";
import { fakeGenerator, rampImages } from "./fake-generator";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-metrics-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A "generator" of blurry blobs: enough to exercise the callback. */
const blobs = fakeGenerator(rampImages);

describe("evalCallback", () => {
  it("appends an eval line to metrics.jsonl and draws fid.png", async () => {
    const runDir = path.join(tmp, "run");
    await fs.mkdir(runDir);
    const cb = evalCallback({ n: 50 });
    const ctx = { runDir, generator: blobs, epoch: 0, epochs: 1, step: 7, resumed: false, startStep: 0 } as unknown as TrainerContext;
    await cb.onTrainStart?.(ctx);
    await cb.onEpochEnd?.(ctx, {} as never);
    const lines = (await fs.readFile(path.join(runDir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: "eval", epoch: 0, step: 7, n: 50 });
    expect(lines[0].fid).toBeGreaterThan(0);
    expect(lines[0].purity).toBeLessThan(0.5);
    expect(blobs.training).toBe(true);
    const png = await fs.readFile(path.join(runDir, "fid.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });
});

describe("sampleGenerator", () => {
  it("draws n images in eval mode in batches, the same for the same seed, leaking nothing", () => {
    const modes: boolean[] = [];
    const spy: GanGenerator = {
      ...blobs,
      forward(z) {
        modes.push(this.training);
        return blobs.forward(z);
      },
    };
    const before = tf.memory().numTensors;
    const a = sampleGenerator(spy, 7, 3, 3);
    const b = sampleGenerator(spy, 7, 3, 3);
    const c = sampleGenerator(spy, 7, 4, 3);
    expect(a.shape).toEqual([7, 64, 64, 1]);
    expect(modes).toEqual(Array(9).fill(false)); // batches of 3, 3, 1 per call
    expect(spy.training).toBe(true);
    const maxDiff = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]);
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
