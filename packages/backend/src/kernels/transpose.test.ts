import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels, unregisterTrainingKernels } from "../register-training-kernels";
import { randomArray } from "../test-utils";
import { isCustomWasmKernel } from "./kernel-registry";
import { mergeAxes } from "./transpose";
import type { WasmBackend } from "./wasm-internals";

function transposed(shape: number[], perm: number[], dtype: "float32" | "int32" = "float32"): number[] {
  return tf.tidy(() => {
    const values = randomArray(tf.util.sizeFromShape(shape), shape.length * 7 + perm[0]);
    const x = dtype === "int32" ? tf.tensor(Int32Array.from(values, (v) => Math.round(v * 1000)), shape, "int32") : tf.tensor(values, shape);
    return Array.from(tf.transpose(x, perm).dataSync());
  });
}

describe("Transpose on wasm (SIMD matrix transposes)", () => {
  beforeAll(async () => {
    await tf.setBackend("wasm");
  });
  afterAll(() => {
    registerTrainingKernels();
  });

  it("merges the axes that move together", () => {
    expect(mergeAxes([512, 256, 4, 4], [2, 3, 1, 0])).toEqual({ dims: [512, 256, 16], perm: [2, 1, 0] });
    expect(mergeAxes([4, 4, 256, 512], [3, 2, 0, 1])).toEqual({ dims: [16, 256, 512], perm: [2, 1, 0] });
    expect(mergeAxes([8, 1, 3, 5], [0, 3, 1, 2])).toEqual({ dims: [8, 3, 5], perm: [0, 2, 1] });
    expect(mergeAxes([2, 3, 4], [0, 1, 2])).toEqual({ dims: [24], perm: [0] });
    expect(mergeAxes([2, 3, 4, 5], [1, 0, 3, 2])).toEqual({ dims: [2, 3, 4, 5], perm: [1, 0, 3, 2] });
  });

  const cases: Array<[number[], number[]]> = [
    [[512, 256, 4, 4], [2, 3, 1, 0]], // a conv weight [O, I, kh, kw] → [kh, kw, I, O]
    [[4, 4, 256, 512], [3, 2, 0, 1]], // and back
    [[64, 3, 4, 4], [2, 3, 1, 0]],
    [[20, 512, 4, 4], [2, 3, 0, 1]], // a transposed conv weight [I, O, kh, kw] → [kh, kw, O, I]... merged
    [[37, 61], [1, 0]],
    [[300, 1024], [1, 0]], // destination rows 2 KB and more apart: the padded strips
    [[5, 33, 7], [0, 2, 1]],
    [[3, 5, 7], [2, 1, 0]],
    [[2, 3, 4, 5], [1, 0, 3, 2]], // not matrix-like: the stock kernel
    [[1, 9, 1, 4], [3, 2, 1, 0]],
    [[6], [0]],
  ];
  for (const [shape, perm] of cases) {
    it(`equals the stock kernel for [${shape}] by [${perm}], freeing its scratch`, () => {
      registerTrainingKernels();
      expect(isCustomWasmKernel("Transpose")).toBe(true);
      const backend = tf.backend() as unknown as WasmBackend;
      const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
      const ours = transposed(shape, perm);
      expect([tf.memory().numTensors, backend.numDataIds()]).toEqual([tensors, buffers]);
      unregisterTrainingKernels();
      expect(ours).toEqual(transposed(shape, perm));
    });
  }

  it("leaves int32 to the stock kernel", () => {
    registerTrainingKernels();
    const ours = transposed([4, 6], [1, 0], "int32");
    unregisterTrainingKernels();
    expect(ours).toEqual(transposed([4, 6], [1, 0], "int32"));
  });
});
