import "@tensorflow/tfjs-core/dist/register_all_gradients";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { backendInfo } from "./backend-info";
import { trainingKernelsRegistered } from "./register-training-kernels";
import { useWasmBackend } from "./use-wasm-backend";

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
