// Runs in its own worker: the wasm backend starts here with `threads: "auto"` (the adaptive multithreaded build).
import os from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { describe, expect, it, vi } from "vitest";
import { backendInfo } from "./backend-info";
import { selectBackend } from "./select-backend";
import { randomArray } from "./test-utils";
import { wasmThreadGovernor } from "./wasm-backend";
import { wasmThreadSwitch } from "./wasm-threads";

/** Small initial weights. */
function initial(size: number, seed: number): Float32Array {
  return randomArray(size, seed).map((v) => v * 0.2);
}

/**
 * A few Adam steps of a small conv net (convolution, transposed convolution, batched products: XNNPACK's pool and
 * this package's kernels) on fixed data; `threadsAt(i)` picks the threads for step i. Returns the weights.
 */
function trainSmallNet(steps: number, threadsAt: (step: number) => number): Float32Array[] {
  const threadSwitch = wasmThreadSwitch();
  if (threadSwitch == null) throw new Error("no thread switch");
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(4 * 16 * 16 * 3, 1), [4, 16, 16, 3]);
    const target = tf.tensor4d(randomArray(4 * 16 * 16 * 3, 2), [4, 16, 16, 3]);
    const w1 = tf.variable(tf.tensor4d(initial(3 * 3 * 3 * 16, 3), [3, 3, 3, 16]));
    const w2 = tf.variable(tf.tensor4d(initial(4 * 4 * 16 * 32, 4), [4, 4, 16, 32]));
    const w3 = tf.variable(tf.tensor4d(initial(4 * 4 * 3 * 32, 5), [4, 4, 3, 32]));
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < steps; i++) {
      threadSwitch.set(threadsAt(i));
      optimizer.minimize(() => {
        const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same"));
        const d = tf.conv2d(h, w2 as tf.Tensor4D, 2, "same"); // [4, 8, 8, 32]
        const q = tf.reshape(d, [4, 64, 32]);
        const attended = tf.reshape(tf.matMul(tf.softmax(tf.matMul(q, q, false, true)), q), [4, 8, 8, 32]);
        const up = tf.conv2dTranspose(tf.add(d, attended) as tf.Tensor4D, w3 as tf.Tensor4D, [4, 16, 16, 3], 2, "same");
        return tf.mean(tf.square(tf.sub(up, target))) as tf.Scalar;
      });
    }
    const weights = [w1, w2, w3].map((w) => w.dataSync() as Float32Array);
    optimizer.dispose();
    tf.dispose([w1, w2, w3]);
    return weights;
  });
}

describe("threads: 'auto' on wasm (the adaptive thread pools)", () => {
  it("starts the threaded build with a thread per logical CPU and a governor, without a start-up sample", async () => {
    // Two logical CPUs whatever this machine has, so that the test runs the same everywhere.
    const cpus = vi.spyOn(os, "availableParallelism").mockReturnValue(2);
    const warn = vi.fn();
    const log = vi.fn();
    await selectBackend("wasm", { log, warn });
    cpus.mockRestore();
    expect(warn).not.toHaveBeenCalled();
    expect(backendInfo()).toMatchObject({ name: "wasm", threads: true, threadCount: 2 });
    expect(wasmThreadSwitch()).toMatchObject({ max: 2 });
    expect(wasmThreadGovernor()).toMatchObject({ max: 2, threads: 2 });
  });

  it("switches XNNPACK between 1 and 2 threads at once, as often as asked, and backendInfo follows", () => {
    const threadSwitch = wasmThreadSwitch();
    if (threadSwitch == null) throw new Error("no thread switch");
    for (let i = 0; i < 50; i++) {
      threadSwitch.set(i % 2 ? 2 : 1);
      expect(threadSwitch.threads()).toBe(i % 2 ? 2 : 1);
    }
    threadSwitch.set(1);
    expect(backendInfo().threadCount).toBe(1);
    threadSwitch.set(2);
    expect(backendInfo().threadCount).toBe(2);
    expect(() => threadSwitch.set(3)).toThrow(/pools of 1 and 2 threads, not 3/);
  });

  it("trains bit-identically with 1 thread, 2 threads, and switches in between", () => {
    const two = trainSmallNet(4, () => 2);
    const one = trainSmallNet(4, () => 1);
    const switched = trainSmallNet(4, (i) => (i < 2 ? 2 : 1));
    const back = trainSmallNet(4, (i) => (i % 2 ? 1 : 2));
    const start = initial(3 * 3 * 3 * 16, 3);
    expect(two[0].some((v, i) => Math.abs(v - start[i]) > 1e-3)).toBe(true); // it trained
    for (const run of [one, switched, back]) {
      run.forEach((w, i) => {
        expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(two[i].buffer, two[i].byteOffset, two[i].byteLength))).toBe(true);
      });
    }
    wasmThreadSwitch()?.set(2);
  });

  it("lets the governor switch while training, through its trainer callback", () => {
    const governor = wasmThreadGovernor();
    if (governor == null) throw new Error("no governor");
    const threadSwitch = wasmThreadSwitch();
    const callback = governor.callback;
    // Fake step times: 1 thread twice as fast (a busy machine). The first probe comes after 8 steps.
    for (let i = 0; i < 28; i++) callback.onBatchEnd({}, { stepMs: threadSwitch?.threads() === 1 ? 500 : 1000 });
    expect(governor.threads).toBe(1);
    expect(threadSwitch?.threads()).toBe(1);
    expect(backendInfo().threadCount).toBe(1);
  });
});
