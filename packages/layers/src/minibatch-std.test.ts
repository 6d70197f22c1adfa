import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture } from "../test/parity";
import { MinibatchStdDev } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("MinibatchStdDev", () => {
  const { tensors } = loadFixture("layers_minibatch_std.safetensors");

  for (const [name, layer] of [
    ["mbstd.g4", new MinibatchStdDev()],
    ["mbstd.whole", new MinibatchStdDev({ groupSize: 4 })],
    ["mbstd.g2", new MinibatchStdDev({ groupSize: 2 })],
  ] as const) {
    it(`${name} matches PyTorch (output and input gradient)`, () => {
      const errors = gradientCase(layer, (x) => layer.forward(x as tf.Tensor4D), tensors, name);
      expectParity(errors, name);
    });
  }

  it("appends one channel equal within a group, zero-spread copies give ~1e-4, and it has no parameters", () => {
    const layer = new MinibatchStdDev({ groupSize: 2 });
    expect(layer.namedParameters()).toEqual([]);
    // Samples 0 and 2 form one group (n mod 2), 1 and 3 the other; the second group holds two copies.
    const a = tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 1);
    const b = tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 2);
    const x = tf.concat([a, b, tf.add(a, 1), b]) as tf.Tensor4D;
    const y = layer.forward(x);
    expect(y.shape).toEqual([4, 3, 3, 3]);
    const extra = tf.squeeze(tf.slice(y, [0, 0, 0, 2], [4, 3, 3, 1])).arraySync() as number[][][];
    // Group {0, 2}: every feature differs by 1, so its standard deviation is 0.5 everywhere.
    for (const n of [0, 2]) for (const row of extra[n]) for (const v of row) expect(v).toBeCloseTo(0.5, 5);
    for (const n of [1, 3]) for (const row of extra[n]) for (const v of row) expect(v).toBeCloseTo(1e-4, 6);
    // The image channels pass through unchanged.
    expect(Array.from(tf.slice(y, [0, 0, 0, 0], [4, 3, 3, 2]).dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([a, b, x, y]);
  });

  it("uses the largest group size dividing the batch, and names bad options and inputs", () => {
    // Batch 6 with groupSize 4: groups of 3, so samples 0, 2, 4 share one value and 1, 3, 5 another.
    const x = tf.randomNormal([6, 2, 2, 1], 0, 1, "float32", 3) as tf.Tensor4D;
    const extra = tf.slice(new MinibatchStdDev().forward(x), [0, 0, 0, 1], [6, 1, 1, 1]).dataSync();
    expect(extra[0]).toBe(extra[2]);
    expect(extra[2]).toBe(extra[4]);
    expect(extra[1]).toBe(extra[3]);
    expect(extra[0]).not.toBe(extra[1]);
    expect(() => new MinibatchStdDev({ groupSize: 0 })).toThrow(/MinibatchStdDev option 'groupSize' must be a positive integer, got 0/);
    expect(() => new MinibatchStdDev().forward(tf.zeros([2, 3]) as unknown as tf.Tensor4D)).toThrow(/expects input \[B, H, W, C\], got \[2,3\]/);
    x.dispose();
  });
});
