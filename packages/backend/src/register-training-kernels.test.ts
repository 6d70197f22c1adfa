import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { describe, expect, it } from "vitest";
import {
  TRAINING_KERNELS,
  registerTrainingKernels,
  trainingKernelsRegistered,
  unregisterTrainingKernels,
} from "./register-training-kernels";

describe("registerTrainingKernels", () => {
  it("adds Conv2DBackpropFilter to wasm and replaces the slow kernels, once", () => {
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
    const stockInput = tf.getKernel("Conv2DBackpropInput", "wasm");
    expect(trainingKernelsRegistered()).toBe(false);

    expect(registerTrainingKernels().sort()).toEqual(TRAINING_KERNELS.map((k) => k.name).sort());
    const installed = TRAINING_KERNELS.map((k) => tf.getKernel(k.name, "wasm"));
    expect(installed.every((k) => k != null)).toBe(true);
    expect(tf.getKernel("Conv2DBackpropInput", "wasm")).not.toBe(stockInput);
    // The stock setup (binding its C function) still runs, as our kernels fall back to it.
    expect(tf.getKernel("Conv2DBackpropInput", "wasm")?.setupFunc).toBe(stockInput?.setupFunc);
    expect(trainingKernelsRegistered()).toBe(true);

    expect(registerTrainingKernels()).toEqual([]);
    expect(TRAINING_KERNELS.map((k) => tf.getKernel(k.name, "wasm"))).toEqual(installed);
  });

  it("puts the stock kernels back on request, and can install again", () => {
    registerTrainingKernels();
    const ours = tf.getKernel("Conv2DBackpropInput", "wasm");
    unregisterTrainingKernels();
    expect(tf.getKernel("Conv2DBackpropFilter", "wasm")).toBeUndefined();
    expect(tf.getKernel("Conv2DBackpropInput", "wasm")).not.toBe(ours);
    expect(trainingKernelsRegistered()).toBe(false);
    expect(registerTrainingKernels()).toHaveLength(TRAINING_KERNELS.length);
    expect(trainingKernelsRegistered()).toBe(true);
  });
});
