import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray, relativeError, runKernel, valuesOn } from "../test-utils";
import { planBatchMatMul } from "./batch-mat-mul";

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  mode: "direct" | "swapped" | "stock";
}

const cases: Case[] = [
  { a: [3, 37, 41], b: [3, 41, 29], transposeA: false, transposeB: false, mode: "direct" },
  { a: [4, 45, 9], b: [4, 97, 9], transposeA: false, transposeB: true, mode: "direct" }, // attention scores Q·Kᵀ
  { a: [4, 97, 97], b: [4, 97, 6], transposeA: true, transposeB: false, mode: "swapped" }, // Aᵀ·dO with a big A
  { a: [2, 33, 70], b: [2, 50, 33], transposeA: true, transposeB: true, mode: "swapped" },
  { a: [1, 64, 70], b: [1, 64, 40], transposeA: true, transposeB: false, mode: "direct" }, // batch 1, transposed
  { a: [2, 3, 40, 35], b: [35, 31], transposeA: false, transposeB: false, mode: "direct" }, // shared right operand
  { a: [50, 41], b: [3, 41, 30], transposeA: false, transposeB: false, mode: "direct" }, // shared left operand
  { a: [2, 3, 41, 40], b: [2, 3, 35, 41], transposeA: true, transposeB: true, mode: "swapped" },
  { a: [5, 7, 3], b: [5, 3, 9], transposeA: false, transposeB: false, mode: "stock" }, // tiny
  { a: [64, 80], b: [80, 70], transposeA: false, transposeB: false, mode: "stock" }, // stock is XNNPACK already
];

function matMul(c: Case, seed: number): tf.Tensor {
  const a = tf.tensor(randomArray(tf.util.sizeFromShape(c.a), seed), c.a);
  const b = tf.tensor(randomArray(tf.util.sizeFromShape(c.b), seed + 1), c.b);
  return runKernel("BatchMatMul", { a, b }, { transposeA: c.transposeA, transposeB: c.transposeB });
}

describe("wasm BatchMatMul", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  cases.forEach((c, i) => {
    it(`matches the cpu kernel for ${c.a}${c.transposeA ? "ᵀ" : ""} × ${c.b}${c.transposeB ? "ᵀ" : ""} (${c.mode})`, async () => {
      expect(planBatchMatMul(c.a, c.b, c.transposeA, c.transposeB)?.mode ?? "stock").toBe(c.mode);
      const [expected] = await valuesOn("cpu", () => matMul(c, 40 + i));
      const [actual] = await valuesOn("wasm", () => matMul(c, 40 + i));
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    });
  });

  it("gives the right shape and gradients for batched attention products", async () => {
    const f = () => {
      const q = tf.tensor3d(randomArray(3 * 64 * 8, 7), [3, 64, 8]);
      const k = tf.tensor3d(randomArray(3 * 64 * 8, 8), [3, 64, 8]);
      const v = tf.tensor3d(randomArray(3 * 64 * 16, 9), [3, 64, 16]);
      const attend = (qv: tf.Tensor3D, kv: tf.Tensor3D, vv: tf.Tensor3D) =>
        tf.matMul(tf.softmax(tf.matMul(qv, kv, false, true)), vv);
      const out = attend(q, k, v);
      expect(out.shape).toEqual([3, 64, 16]);
      const grads = tf.grads((qv: tf.Tensor, kv: tf.Tensor, vv: tf.Tensor) =>
        tf.sum(tf.square(attend(qv as tf.Tensor3D, kv as tf.Tensor3D, vv as tf.Tensor3D))),
      )([q, k, v]);
      return [out, ...grads];
    };
    const expected = await valuesOn("cpu", f);
    const actual = await valuesOn("wasm", f);
    expected.forEach((e, i) => {
      expect(relativeError(actual[i], e)).toBeLessThan(1e-5);
    });
  });

  it("frees every intermediate tensor and view", async () => {
    await tf.setBackend("wasm");
    const a = tf.tensor3d(randomArray(4 * 97 * 97, 1), [4, 97, 97]);
    const b = tf.tensor3d(randomArray(4 * 97 * 6, 2), [4, 97, 6]);
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 3; i++) {
      for (const [tA, tB] of [[false, false], [true, false]]) {
        const right = tA ? b : tf.transpose(b, [0, 2, 1]);
        tf.dispose(runKernel("BatchMatMul", { a, b: tA ? right : b }, { transposeA: tA, transposeB: tB }));
        if (right !== b) tf.dispose(right);
      }
    }
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
    tf.dispose([a, b]);
  });
});
