import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { BatchNorm2d, Conv2d, Random, Sequential, standingStatistics } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("standingStatistics", () => {
  const build = () => new Sequential(new Conv2d(1, 2, 3, { padding: 1, random: new Random(3) }), new BatchNorm2d(2));

  it("sets every BatchNorm's running statistics to the average over the batches run, then restores momentum and mode", () => {
    const model = build();
    const bn = model.namedModules().map(([, m]) => m).find((m) => m instanceof BatchNorm2d) as BatchNorm2d;
    bn.getBuffer("running_mean").assign(tf.tensor1d([9, 9])); // stale statistics, to be forgotten
    model.eval();
    const random = new Random(4);
    const inputs = [0, 1, 2].map((i) => tf.add(random.normal([3, 4, 4, 1]), i) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    standingStatistics(model, 3, (i) => model.forward(inputs[i])); // the returned output is freed too
    expect(tf.memory().numTensors).toBe(before);
    expect(bn.momentum).toBe(0.1);
    expect(model.training).toBe(false);
    expect(bn.training).toBe(false);
    // Expected: mean of the per-batch means and of the per-batch unbiased variances of the conv's output.
    const conv = model.namedModules().map(([, m]) => m).find((m) => m instanceof Conv2d) as Conv2d;
    const means: number[][] = [];
    const vars: number[][] = [];
    for (const x of inputs) {
      const h = conv.forward(x);
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const n = 3 * 4 * 4;
      means.push(Array.from(mean.dataSync()));
      vars.push(Array.from(variance.dataSync(), (v) => (v * n) / (n - 1)));
      tf.dispose([h, mean, variance]);
    }
    const avg = (rows: number[][]) => rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length);
    const gotMean = Array.from(bn.getBuffer("running_mean").dataSync());
    const gotVar = Array.from(bn.getBuffer("running_var").dataSync());
    for (const [c, m] of avg(means).entries()) expect(gotMean[c]).toBeCloseTo(m, 5);
    for (const [c, v] of avg(vars).entries()) expect(gotVar[c]).toBeCloseTo(v, 4);
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(3);
    tf.dispose(inputs);
    model.dispose();
  });

  it("restores momentum and mode when a batch throws, and rejects a bad batch count", () => {
    const model = build();
    model.train(true);
    expect(() =>
      standingStatistics(model, 2, () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    const bn = model.namedModules().map(([, m]) => m).find((m) => m instanceof BatchNorm2d) as BatchNorm2d;
    expect(bn.momentum).toBe(0.1);
    expect(model.training).toBe(true);
    expect(() => standingStatistics(model, 0, () => {})).toThrow(/batches must be a positive integer, got 0/);
    model.dispose();
  });
});
