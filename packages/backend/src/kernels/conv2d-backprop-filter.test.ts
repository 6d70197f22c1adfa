import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray, relativeError, runKernel, valuesOn } from "../test-utils";

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const cases: Case[] = [
  { x: [2, 9, 9, 3], filter: [4, 4, 3, 5], strides: 2, pad: 1 },
  { x: [1, 7, 6, 2], filter: [3, 3, 2, 4], strides: 1, pad: "same" },
  { x: [3, 10, 11, 4], filter: [4, 3, 4, 2], strides: [2, 3], pad: "valid" },
  { x: [2, 8, 8, 1], filter: [4, 4, 1, 3], strides: 2, pad: 1 },
  { x: [1, 5, 5, 6], filter: [5, 5, 6, 1], strides: 1, pad: 0 },
  { x: [2, 11, 9, 3], filter: [3, 2, 3, 2], strides: 3, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 9, 9, 2], filter: [4, 4, 2, 2], strides: 2, pad: "same" },
  { x: [2, 7, 7, 3], filter: [2, 2, 3, 3], strides: 2, pad: "valid" }, // the last input row is never used
  { x: [3, 5, 7, 9], filter: [1, 1, 9, 4], strides: 1, pad: 0 }, // 1×1: one matrix product (attention convs)
  { x: [1, 4, 4, 16], filter: [1, 1, 16, 2], strides: 1, pad: "same" }, // 1×1, batch 1
  { x: [2, 6, 5, 1], filter: [1, 1, 1, 7], strides: 1, pad: "valid" }, // 1×1, one input channel
  { x: [2, 6, 5, 3], filter: [1, 1, 3, 2], strides: 2, pad: 0 }, // 1×1 with a stride: the general path
  { x: [1, 33, 33, 64], filter: [1, 1, 64, 65], strides: 1, pad: 0 }, // 1×1 over 1089 positions: two chunks
  { x: [3, 40, 40, 1], filter: [4, 4, 1, 5], strides: 2, pad: 1 }, // one input channel, 1200 positions: two chunks
  { x: [2, 9, 9, 6], filter: [4, 4, 6, 3], strides: 2, pad: 1 }, // more than 4 input channels: the convolution path
  { x: [2, 10, 9, 5], filter: [3, 3, 5, 2], strides: 1, pad: "same" },
];

function dyShape(c: Case): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad as "same").outShape;
}

function backpropFilter(c: Case, seed: number): tf.Tensor {
  const dys = dyShape(c);
  const x = tf.tensor(randomArray(tf.util.sizeFromShape(c.x), seed), c.x);
  const dy = tf.tensor(randomArray(tf.util.sizeFromShape(dys), seed + 1), dys);
  return runKernel("Conv2DBackpropFilter", { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: "NHWC", filterShape: c.filter });
}

describe("wasm Conv2DBackpropFilter", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  cases.forEach((c, i) => {
    it(`matches the cpu kernel for x ${c.x}, filter ${c.filter}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async () => {
      const [expected] = await valuesOn("cpu", () => backpropFilter(c, 10 + i));
      const [actual] = await valuesOn("wasm", () => backpropFilter(c, 10 + i));
      expect(actual.length).toBe(tf.util.sizeFromShape(c.filter));
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    });
  });

  it("gives tf.grad the weight gradient of conv2d", async () => {
    const c = cases[0];
    const f = () => {
      const x = tf.tensor4d(randomArray(tf.util.sizeFromShape(c.x), 1), c.x);
      const w = tf.tensor4d(randomArray(tf.util.sizeFromShape(c.filter), 2), c.filter);
      return tf.grad((wv: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, wv as tf.Tensor4D, 2, 1))))(w);
    };
    const [expected] = await valuesOn("cpu", f);
    const [actual] = await valuesOn("wasm", f);
    expect(relativeError(actual, expected)).toBeLessThan(1e-5);
  });

  it("frees every intermediate tensor", async () => {
    await tf.setBackend("wasm");
    const c = cases[0];
    const x = tf.tensor(randomArray(tf.util.sizeFromShape(c.x), 3), c.x);
    const dy = tf.tensor(randomArray(tf.util.sizeFromShape(dyShape(c)), 4), dyShape(c));
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 3; i++) {
      tf.dispose(runKernel("Conv2DBackpropFilter", { x, dy }, { strides: 2, pad: 1, dataFormat: "NHWC", filterShape: c.filter }));
    }
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
    tf.dispose([x, dy]);
  });
});
