import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCustomWasmKernel } from "./kernel-registry";
import { simdKernels } from "./simd-kernels";
import type { WasmBackend } from "./wasm-internals";
import { registerTrainingKernels, unregisterTrainingKernels } from "../register-training-kernels";
import { randomArray } from "../test-utils";

const shapes = [[1], [3], [4, 4], [2, 7, 5, 3], [64, 33]];

/** Random values with the edge cases planted: ±0, ±Infinity, NaN, a denormal. */
function input(shape: number[], seed: number): Float32Array {
  const values = randomArray(tf.util.sizeFromShape(shape), seed);
  const edges = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -1e-40];
  edges.forEach((v, i) => {
    if (i * 3 < values.length) values[i * 3] = v;
  });
  return values;
}

/** The bits of LeakyReLU's output on wasm with the kernels registered now. */
function bits(shape: number[], seed: number, alpha: number): number[] {
  const y = tf.tidy(() => tf.leakyRelu(tf.tensor(input(shape, seed), shape), alpha));
  const out = Array.from(new Uint32Array((y.dataSync() as Float32Array).buffer));
  y.dispose();
  return out;
}

describe("LeakyRelu on wasm (one SIMD pass)", () => {
  beforeAll(async () => {
    await tf.setBackend("wasm");
  });
  afterAll(() => {
    registerTrainingKernels();
  });

  it("is installed with the training kernels, and runs the SIMD loop here", () => {
    registerTrainingKernels();
    expect(isCustomWasmKernel("LeakyRelu")).toBe(true);
    // The suite also runs with the SIMD loops turned off (GAN_WASM_NO_SIMD_KERNELS=1): then the stock kernel.
    const simd = simdKernels(tf.backend() as unknown as WasmBackend);
    expect(simd == null).toBe(process.env.GAN_WASM_NO_SIMD_KERNELS === "1");
  });

  shapes.forEach((shape, i) => {
    it(`equals the stock kernel bit for bit for [${shape}], edge values included`, () => {
      for (const alpha of [0.1, 0.2]) {
        registerTrainingKernels();
        const before = tf.memory().numTensors;
        const ours = bits(shape, 10 * i, alpha);
        expect(tf.memory().numTensors).toBe(before);
        unregisterTrainingKernels();
        const stock = bits(shape, 10 * i, alpha);
        expect(ours).toEqual(stock);
      }
    });
  });

  it("keeps the stock kernel for int32 input", () => {
    registerTrainingKernels();
    const y = tf.leakyRelu(tf.tensor1d([-2, 3], "int32"), 0.5);
    expect(Array.from(y.dataSync())).toEqual([-1, 3]);
    y.dispose();
  });
});
