import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray, relativeError, valuesOn } from "../test-utils";
import { leadingAxesReduction } from "./reduce";

const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean; fast: boolean }> = [
  { shape: [8, 5, 7, 13], axis: [0, 1, 2], keepDims: false, fast: true }, // BatchNorm statistics / bias gradient
  { shape: [8, 5, 7, 13], axis: [2, 0, 1], keepDims: true, fast: true },
  { shape: [1, 3, 3, 1], axis: [0, 1, 2], keepDims: true, fast: true }, // batch 1, one channel
  { shape: [33, 6], axis: 0, keepDims: false, fast: true },
  { shape: [4, 9, 2], axis: [-3], keepDims: false, fast: true },
  { shape: [4, 9, 2], axis: [1, 2], keepDims: false, fast: false }, // innermost: the stock kernel
  { shape: [4, 9, 2], axis: [0, 2], keepDims: true, fast: false },
  { shape: [4, 9, 2], axis: [0, 1, 2], keepDims: false, fast: false }, // everything
];

describe("wasm Sum and Mean over leading axes", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  cases.forEach((c, i) => {
    it(`match the cpu backend for [${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? ", keepDims" : ""}`, async () => {
      expect(leadingAxesReduction(c.shape, c.axis) != null).toBe(c.fast);
      const f = () => {
        const x = tf.tensor(randomArray(tf.util.sizeFromShape(c.shape), i), c.shape);
        return [tf.sum(x, c.axis, c.keepDims), tf.mean(x, c.axis, c.keepDims)];
      };
      const expected = await valuesOn("cpu", f);
      await tf.setBackend("wasm");
      const shapes = tf.tidy(() => f().map((t) => t.shape));
      await tf.setBackend("cpu");
      const cpuShapes = tf.tidy(() => f().map((t) => t.shape));
      expect(shapes).toEqual(cpuShapes);
      const actual = await valuesOn("wasm", f);
      expect(relativeError(actual[0], expected[0])).toBeLessThan(1e-6);
      expect(relativeError(actual[1], expected[1])).toBeLessThan(1e-6);
    });
  });

  it("gives bit-identical results to the stock kernels (same additions in the same order)", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor(randomArray(16 * 9 * 9 * 24, 5), [16, 9, 9, 24]);
    const ours = [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2])];
    // The stock kernels reduce innermost axes without a transpose; feed them the transposed tensor.
    const xT = tf.transpose(tf.reshape(x, [16 * 9 * 9, 24]));
    const stock = [tf.sum(xT, 1), tf.mean(xT, 1)];
    expect(Array.from(ours[0].dataSync())).toEqual(Array.from(stock[0].dataSync()));
    expect(Array.from(ours[1].dataSync())).toEqual(Array.from(stock[1].dataSync()));
    tf.dispose([x, xT, ...ours, ...stock]);
  });

  it("works on int32 tensors through the stock kernel", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32");
    expect(Array.from(tf.sum(x, 0).dataSync())).toEqual([9, 12]);
    tf.dispose(x);
  });
});
