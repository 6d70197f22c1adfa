import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels, unregisterTrainingKernels } from "../register-training-kernels";
import { countWasmKernelCalls, randomArray, valuesOn } from "../test-utils";
import { LEAKY_RELU_GRAD } from "./leaky-relu-grad";

const shapes = [[1], [3], [4, 4], [2, 7, 5, 3], [64, 33]];

function gradient(shape: number[], seed: number): tf.Tensor[] {
  const size = tf.util.sizeFromShape(shape);
  const values = randomArray(size, seed);
  if (size > 2) values[1] = 0; // the boundary: x = 0 takes the alpha branch
  const x = tf.tensor(values, shape);
  const dy = tf.tensor(randomArray(size, seed + 1), shape);
  return tf.grads((v: tf.Tensor) => tf.leakyRelu(v, 0.2))([x], dy);
}

describe("LeakyReLU's fused gradient on wasm", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });
  afterAll(() => {
    unregisterTrainingKernels();
    registerTrainingKernels();
  });

  shapes.forEach((shape, i) => {
    it(`equals tfjs's gradient bit for bit for [${shape}]`, async () => {
      const [expected] = await valuesOn("cpu", () => gradient(shape, 10 * i));
      await tf.setBackend("wasm");
      const runs = countWasmKernelCalls(LEAKY_RELU_GRAD);
      try {
        const [actual] = await valuesOn("wasm", () => gradient(shape, 10 * i));
        expect(runs.calls()).toBe(1);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      } finally {
        runs.restore();
      }
    });
  });

  it("leaves other backends on tfjs's formula, and unregistering restores tfjs's gradient", async () => {
    const [onCpu] = await valuesOn("cpu", () => gradient([3, 5], 1));
    unregisterTrainingKernels();
    const [stock] = await valuesOn("wasm", () => gradient([3, 5], 1));
    expect(Array.from(stock)).toEqual(Array.from(onCpu));
    expect(tf.getKernel(LEAKY_RELU_GRAD, "wasm")).toBeUndefined();
  });
});
