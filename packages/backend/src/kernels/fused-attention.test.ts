import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray, relativeError, valuesOn } from "../test-utils";
import { FUSED_ATTENTION, FUSED_ATTENTION_GRAD } from "./fused-attention";

/** [batch, positions, query/key channels, value channels] */
const shapes: Array<[number, number, number, number]> = [
  [1, 5, 1, 3], // batch 1, one key channel
  [3, 37, 4, 16], // odd positions
  [2, 64, 8, 64], // the reference's 8×8 maps
  [4, 97, 2, 9],
  [1, 256, 16, 128], // 16×16 maps at batch 1
  [2, 1, 3, 5], // a single position
];

function inputs([b, n, d, c]: [number, number, number, number], seed: number) {
  const t = (shape: number[], s: number, scale = 1) =>
    tf.mul(tf.tensor(randomArray(tf.util.sizeFromShape(shape), s), shape), scale) as tf.Tensor3D;
  // Scores of a few units, as a trained layer has: the softmax is far from uniform.
  return { query: t([b, n, d], seed, 2), key: t([b, n, d], seed + 1, 2), value: t([b, n, c], seed + 2), dy: t([b, n, c], seed + 3) };
}

/** The attention written with stock ops (autodiff through them is the reference gradient). */
const reference = (query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D) =>
  tf.matMul(tf.softmax(tf.matMul(key, query, false, true)), value) as tf.Tensor3D;

describe("wasm fused attention", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  shapes.forEach((shape, i) => {
    it(`matches softmax(K·Qᵀ)·V and its gradients on the cpu backend for [B, N, d, c] = [${shape}]`, async () => {
      const expected = await valuesOn("cpu", () => {
        const { query, key, value, dy } = inputs(shape, 10 * i);
        const out = reference(query, key, value);
        const grads = tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
          reference(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D),
        )([query, key, value], dy);
        return [out, ...grads];
      });
      const actual = await valuesOn("wasm", () => {
        const { query, key, value, dy } = inputs(shape, 10 * i);
        const out = tf.engine().runKernel(FUSED_ATTENTION, { query, key, value }) as tf.Tensor;
        const grads = tf.engine().runKernel(FUSED_ATTENTION_GRAD, { query, key, value, dy }) as tf.Tensor[];
        expect(grads.map((g) => g.shape)).toEqual([query.shape, key.shape, value.shape]);
        return [out, ...grads];
      });
      ["out", "dQuery", "dKey", "dValue"].forEach((name, j) => {
        expect(relativeError(actual[j], expected[j]), name).toBeLessThan(1e-5);
      });
    });
  });

  it("rejects mismatched shapes", async () => {
    await tf.setBackend("wasm");
    const q = tf.zeros([2, 5, 3]);
    const v = tf.zeros([2, 6, 4]);
    expect(() => tf.engine().runKernel(FUSED_ATTENTION, { query: q, key: q, value: v })).toThrow(/do not match/);
    tf.dispose([q, v]);
  });

  it("frees every scratch buffer and view", async () => {
    await tf.setBackend("wasm");
    const { query, key, value, dy } = inputs([3, 37, 4, 16], 99);
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 3; i++) {
      tf.dispose(tf.engine().runKernel(FUSED_ATTENTION, { query, key, value }) as tf.Tensor);
      tf.dispose(tf.engine().runKernel(FUSED_ATTENTION_GRAD, { query, key, value, dy }) as tf.Tensor[]);
    }
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
    tf.dispose([query, key, value, dy]);
  });
});
