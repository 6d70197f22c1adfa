// Runs in its own worker: the wasm backend starts here with its multithreaded build.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { describe, expect, it, vi } from "vitest";
import { backendInfo } from "./backend-info";
import { FUSED_ATTENTION, FUSED_ATTENTION_GRAD } from "./kernels/fused-attention";
import { simdKernels } from "./kernels/simd-kernels";
import type { WasmBackend } from "./kernels/wasm-internals";
import { selectBackend } from "./select-backend";
import { threadedWasmWorkers } from "./wasm-threads";
import { randomArray, relativeError, valuesOn } from "./test-utils";

describe("the multithreaded wasm build in Node", () => {
  it("starts with the threads asked for", async () => {
    const warn = vi.fn();
    await selectBackend("wasm", { threads: 2, log: () => {}, warn });
    expect(warn).not.toHaveBeenCalled();
    expect(backendInfo()).toMatchObject({ name: "wasm", threads: true, threadCount: 2, simd: true, trainingKernels: true });
  });

  it("lets go of the pre-spawned workers that run no thread (the build starts 8)", () => {
    const workers = threadedWasmWorkers();
    expect(workers?.unused).toBe(0);
    expect(workers?.running).toBeGreaterThanOrEqual(1);
    expect(workers?.running).toBeLessThan(8);
  });

  it("says so when another thread count is asked for later", async () => {
    const warn = vi.fn();
    await selectBackend("wasm", { threads: 1, log: () => {}, warn });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/already runs with 2 thread\(s\)/));
    expect(backendInfo().threadCount).toBe(2);
  });

  it("computes convolution and attention gradients like the cpu backend", async () => {
    const step = () => {
      const x = tf.tensor4d(randomArray(4 * 16 * 16 * 24, 1), [4, 16, 16, 24]);
      const w = tf.tensor4d(randomArray(4 * 4 * 24 * 32, 2), [4, 4, 24, 32]);
      const up = tf.tensor4d(randomArray(4 * 4 * 12 * 32, 3), [4, 4, 12, 32]);
      const loss = (xv: tf.Tensor, wv: tf.Tensor, uv: tf.Tensor) => {
        const h = tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, 2, 1); // [4, 8, 8, 32]
        const back = tf.conv2dTranspose(h, uv as tf.Tensor4D, [4, 16, 16, 12], 2, 1);
        const q = tf.reshape(h, [4, 64, 32]);
        const attended = tf.matMul(tf.softmax(tf.matMul(q, q, false, true)), q);
        return tf.add(tf.mean(tf.square(back)), tf.mean(attended)) as tf.Scalar;
      };
      return tf.grads(loss)([x, w, up]);
    };
    const expected = await valuesOn("cpu", step);
    const actual = await valuesOn("wasm", step);
    expected.forEach((e, i) => {
      expect(relativeError(actual[i], e)).toBeLessThan(1e-4);
    });
  });

  it("runs the fused attention and the SIMD loops on the shared heap", async () => {
    const make = () => {
      const t = (shape: number[], seed: number) => tf.tensor3d(randomArray(tf.util.sizeFromShape(shape), seed), shape as [number, number, number]);
      return { query: t([3, 70, 4], 1), key: t([3, 70, 4], 2), value: t([3, 70, 12], 3), dy: t([3, 70, 12], 4) };
    };
    const expected = await valuesOn("cpu", () => {
      const { query, key, value, dy } = make();
      const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.matMul(tf.softmax(tf.matMul(k, q, false, true)), v);
      return [f(query, key, value), ...tf.grads(f)([query, key, value], dy), tf.sum(tf.reshape(value, [210, 12]), 0)];
    });
    const actual = await valuesOn("wasm", () => {
      const { query, key, value, dy } = make();
      const simdOff = process.env.GAN_WASM_NO_SIMD_KERNELS === "1";
      expect(simdKernels(tf.backend() as unknown as WasmBackend) == null).toBe(simdOff);
      const out = tf.engine().runKernel(FUSED_ATTENTION, { query, key, value }) as tf.Tensor;
      const grads = tf.engine().runKernel(FUSED_ATTENTION_GRAD, { query, key, value, dy }) as tf.Tensor[];
      return [out, ...grads, tf.sum(tf.reshape(value, [210, 12]), 0)];
    });
    expected.forEach((e, i) => {
      expect(relativeError(actual[i], e)).toBeLessThan(1e-5);
    });
  });

  it("keeps working after the shared heap grows", async () => {
    await tf.setBackend("wasm");
    const big = tf.zeros([24 * 1024 * 1024]); // 96 MB: the heap has to grow
    const x = tf.tensor4d(randomArray(2 * 8 * 8 * 4, 4), [2, 8, 8, 4]);
    const w = tf.tensor4d(randomArray(4 * 4 * 3 * 4, 5), [4, 4, 3, 4]);
    const y = tf.conv2dTranspose(x, w, [2, 16, 16, 3], 2, 1);
    const onWasm = y.dataSync();
    tf.dispose([big, x, w, y]);
    const [onCpu] = await valuesOn("cpu", () =>
      tf.conv2dTranspose(tf.tensor4d(randomArray(2 * 8 * 8 * 4, 4), [2, 8, 8, 4]), tf.tensor4d(randomArray(4 * 4 * 3 * 4, 5), [4, 4, 3, 4]), [2, 16, 16, 3], 2, 1),
    );
    expect(relativeError(onWasm, onCpu)).toBeLessThan(1e-5);
  });
});
