import "@tensorflow/tfjs-core/dist/register_all_gradients";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { backendInfo } from "./backend-info";
import { trainingKernelsRegistered } from "./register-training-kernels";
import { browserWasmThreads, useWasmBackend } from "./use-wasm-backend";

describe("useWasmBackend (the browser-safe entry's backend start)", () => {
  it("makes wasm the active backend with the training kernels registered", async () => {
    await useWasmBackend();
    expect(tf.getBackend()).toBe("wasm");
    expect(trainingKernelsRegistered()).toBe(true);
    expect(backendInfo().trainingKernels).toBe(true);
    // A weight gradient, which the stock wasm backend cannot compute.
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([4, 4, 3, 5], 0, 1, "float32", 2) as tf.Tensor4D);
    const { grads } = tf.variableGrads(() => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 2, "same")) as tf.Scalar, [w]);
    expect(grads[w.name].shape).toEqual([4, 4, 3, 5]);
    expect(Number.isFinite(tf.sum(grads[w.name]).dataSync()[0])).toBe(true);
  });
});

describe("browserWasmThreads (useWasmBackend's XNNPACK threads in a browser)", () => {
  it("defaults to one thread per logical CPU, at most 8, and caps a request at the CPUs with a notice", () => {
    const notices: string[] = [];
    const warn = (m: string) => notices.push(m);
    expect(browserWasmThreads(undefined, 2, warn)).toBe(2);
    expect(browserWasmThreads(undefined, 16, warn)).toBe(8);
    expect(browserWasmThreads(1, 2, warn)).toBe(1);
    expect(notices).toEqual([]);
    expect(browserWasmThreads(99, 4, warn)).toBe(4);
    expect(notices).toEqual(["@gan/backend: useWasmBackend: threads 99 capped at 4, the logical CPUs here"]);
  });

  it("refuses a thread count that is not a whole number ≥ 1, naming the option", async () => {
    expect(() => browserWasmThreads(0, 2, () => {})).toThrow("threads: expected a whole number ≥ 1, got 0");
    expect(() => browserWasmThreads(1.5, 2, () => {})).toThrow("got 1.5");
    await expect(useWasmBackend({ threads: -1 })).rejects.toThrow("useWasmBackend: threads: expected a whole number ≥ 1, got -1");
  });
});
