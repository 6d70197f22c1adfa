import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray, relativeError, runKernel, valuesOn } from "../test-utils";
import { planPhaseConvolution } from "./conv2d-backprop-input";

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
interface Case {
  /** Shape of dx (the transposed convolution's output). */
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  /** The path expected: XNNPACK per phase, XNNPACK merged, or the stock kernel. */
  mode: "phases" | "merged" | "stock";
}

const cases: Case[] = [
  { input: [2, 8, 8, 3], filter: [4, 4, 3, 5], strides: 2, pad: 1, mode: "merged" }, // DCGAN's upsampling
  { input: [2, 8, 8, 24], filter: [4, 4, 24, 5], strides: 2, pad: 1, mode: "phases" },
  { input: [1, 9, 7, 3], filter: [4, 4, 3, 2], strides: 2, pad: 1, mode: "merged" }, // odd sizes, batch 1
  { input: [1, 9, 7, 9], filter: [4, 4, 9, 4], strides: 2, pad: 1, mode: "phases" },
  { input: [2, 16, 16, 1], filter: [4, 4, 1, 6], strides: 2, pad: 1, mode: "merged" }, // an image out
  { input: [1, 6, 6, 17], filter: [4, 4, 17, 3], strides: 2, pad: 1, mode: "phases" }, // wide rows
  { input: [2, 6, 5, 4], filter: [3, 3, 4, 3], strides: 1, pad: "same", mode: "merged" },
  { input: [2, 6, 5, 40], filter: [3, 3, 40, 3], strides: 1, pad: "same", mode: "phases" },
  { input: [2, 10, 11, 3], filter: [3, 4, 3, 2], strides: [2, 3], pad: "valid", mode: "merged" },
  { input: [2, 10, 11, 6], filter: [3, 4, 6, 2], strides: [2, 3], pad: "valid", mode: "phases" },
  { input: [1, 11, 10, 2], filter: [4, 4, 2, 3], strides: 3, pad: 1, mode: "merged" }, // kernel not a multiple of stride
  { input: [1, 11, 10, 4], filter: [4, 4, 4, 3], strides: 3, pad: 1, mode: "phases" },
  { input: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: 2, pad: "same", mode: "merged" },
  { input: [1, 9, 8, 2], filter: [3, 2, 2, 4], strides: 2, pad: [[0, 0], [2, 0], [0, 1], [0, 0]], mode: "merged" },
  { input: [1, 9, 8, 9], filter: [3, 2, 9, 4], strides: 2, pad: [[0, 0], [2, 0], [0, 1], [0, 0]], mode: "phases" },
  { input: [2, 7, 7, 3], filter: [2, 2, 3, 3], strides: 2, pad: "valid", mode: "merged" }, // last row gets no gradient
  { input: [1, 6, 7, 2], filter: [2, 3, 2, 3], strides: 2, pad: [[0, 0], [3, 1], [2, 4], [0, 0]], mode: "merged" }, // pad > kernel
  { input: [1, 6, 7, 9], filter: [2, 3, 9, 3], strides: 2, pad: [[0, 0], [3, 1], [2, 4], [0, 0]], mode: "phases" },
  { input: [2, 8, 8, 2], filter: [2, 2, 2, 3], strides: 3, pad: "valid", mode: "merged" }, // stride > kernel: zero rows
  { input: [2, 8, 8, 4], filter: [2, 2, 4, 3], strides: 3, pad: "valid", mode: "phases" },
  { input: [3, 4, 4, 8], filter: [4, 4, 8, 5], strides: 1, pad: 0, mode: "stock" }, // 1×1 → 4×4: stock loop
];

function dyShape(c: Case): number[] {
  return tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, 1, c.pad as "same").outShape;
}

function backpropInput(c: Case, seed: number): tf.Tensor {
  const dys = dyShape(c);
  const dy = tf.tensor(randomArray(tf.util.sizeFromShape(dys), seed), dys);
  const filter = tf.tensor(randomArray(tf.util.sizeFromShape(c.filter), seed + 1), c.filter);
  return runKernel("Conv2DBackpropInput", { dy, filter }, { strides: c.strides, pad: c.pad, dataFormat: "NHWC", inputShape: c.input });
}

describe("wasm Conv2DBackpropInput", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  cases.forEach((c, i) => {
    it(`matches the cpu kernel for dx ${c.input}, filter ${c.filter}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, 1, c.pad as "same");
      expect(planPhaseConvolution(info)?.mode ?? "stock").toBe(c.mode);
      const [expected] = await valuesOn("cpu", () => backpropInput(c, 20 + i));
      const [actual] = await valuesOn("wasm", () => backpropInput(c, 20 + i));
      expect(actual.length).toBe(tf.util.sizeFromShape(c.input));
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    });
  });

  it("serves conv2dTranspose forward and its gradients (input and filter)", async () => {
    const f = () => {
      const x = tf.tensor4d(randomArray(2 * 5 * 5 * 6, 5), [2, 5, 5, 6]);
      const w = tf.tensor4d(randomArray(4 * 4 * 3 * 6, 6), [4, 4, 3, 6]);
      const loss = (xv: tf.Tensor, wv: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2dTranspose(xv as tf.Tensor4D, wv as tf.Tensor4D, [2, 10, 10, 3], 2, 1)));
      const [dx, dw] = tf.grads(loss)([x, w]);
      return [tf.conv2dTranspose(x, w, [2, 10, 10, 3], 2, 1), dx, dw];
    };
    const expected = await valuesOn("cpu", f);
    const actual = await valuesOn("wasm", f);
    expected.forEach((e, i) => {
      expect(relativeError(actual[i], e)).toBeLessThan(1e-5);
    });
  });

  it("frees every intermediate tensor", async () => {
    await tf.setBackend("wasm");
    const c = cases[0];
    const dy = tf.tensor(randomArray(tf.util.sizeFromShape(dyShape(c)), 3), dyShape(c));
    const filter = tf.tensor(randomArray(tf.util.sizeFromShape(c.filter), 4), c.filter);
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 3; i++) {
      tf.dispose(runKernel("Conv2DBackpropInput", { dy, filter }, { strides: 2, pad: 1, dataFormat: "NHWC", inputShape: c.input }));
    }
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
    tf.dispose([dy, filter]);
  });
});
