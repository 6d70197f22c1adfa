import os from "node:os";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backendInfo, describeBackend } from "./backend-info";
import type { ModuleLoader } from "./load-optional";
import { BackendUnavailableError } from "./native-backend";
import { trainingKernelsRegistered } from "./register-training-kernels";
import { selectBackend } from "./select-backend";
import { idleCpuThreads, resolveThreads } from "./wasm-backend";

function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /somewhere`), { code: "MODULE_NOT_FOUND" });
}

/** A loader that pretends `installed` packages exist; loading one registers a stand-in 'tensorflow' backend. */
function fakeLoader(installed: Record<string, "works" | "broken">): ModuleLoader {
  return (name) => {
    const state = installed[name];
    if (state == null) throw notFound(name);
    if (state === "broken") throw new Error("libtensorflow.so.2: cannot open shared object file");
    tf.registerBackend("tensorflow", () => new MathBackendCPU(), 3);
    return { version: { "tfjs-node": "4.22.0" } };
  };
}

function quiet() {
  return { log: vi.fn<(message: string) => void>(), warn: vi.fn<(message: string) => void>() };
}

describe("selectBackend", () => {
  afterEach(() => {
    if (tf.findBackendFactory("tensorflow") != null) tf.removeBackend("tensorflow");
  });

  it("'cpu' activates the cpu backend, says why and warns that it is too slow to train", async () => {
    const out = quiet();
    const chosen = await selectBackend("cpu", out);
    expect(chosen).toMatchObject({ name: "cpu", tfjsBackend: "cpu" });
    expect(chosen.reason).toMatch(/asked for cpu/);
    expect(tf.getBackend()).toBe("cpu");
    expect(out.warn.mock.calls[0][0]).toMatch(/WARNING.*0\.014 GFLOP\/s/);
    expect(out.log.mock.calls[0][0]).toMatch(/^\[@gan\/backend\] using cpu \(tfjs 4\.22\.0\): asked for cpu/);
  });

  it("'wasm' activates wasm with the training kernels and reports SIMD and threads", async () => {
    const out = quiet();
    const chosen = await selectBackend("wasm", out);
    expect(chosen).toMatchObject({ name: "wasm", tfjsBackend: "wasm" });
    expect(chosen.reason).toMatch(/XNNPACK/);
    expect(trainingKernelsRegistered()).toBe(true);
    const info = backendInfo();
    expect(info).toMatchObject({ name: "wasm", tfjsVersion: tf.version_core, simd: true, trainingKernels: true });
    // `auto` by default: one thread per logical CPU (at most 8), switched by the governor while training.
    expect(info.threadCount).toBeGreaterThanOrEqual(1);
    expect(info.threadCount).toBeLessThanOrEqual(resolveThreads("auto"));
    expect(info.threads).toBe((info.threadCount ?? 1) > 1);
    expect(out.log).toHaveBeenCalledWith(expect.stringContaining(describeBackend(info)));
    expect(out.warn).not.toHaveBeenCalled();
  });

  it("'auto' picks wasm when neither native package is installed, and says so", async () => {
    const out = quiet();
    const chosen = await selectBackend("auto", out);
    expect(chosen.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(chosen.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed and @tensorflow\/tfjs-node is not installed/);
    expect(out.log.mock.calls.at(-1)?.[0]).toMatch(/using wasm/);
  });

  it("'tensorflow-gpu' without @tensorflow/tfjs-node-gpu fails with what to install", async () => {
    const error = await selectBackend("tensorflow-gpu", quiet()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).packageName).toBe("@tensorflow/tfjs-node-gpu");
    expect((error as Error).message).toMatch(/npm install @tensorflow\/tfjs-node-gpu/);
  });

  it("'tensorflow' without @tensorflow/tfjs-node fails with what to install", async () => {
    await expect(selectBackend("tensorflow", quiet())).rejects.toThrow(/npm install @tensorflow\/tfjs-node`/);
  });

  it("'tensorflow' with a broken install says it is installed but unusable", async () => {
    const loadModule = fakeLoader({ "@tensorflow/tfjs-node": "broken" });
    await expect(selectBackend("tensorflow", { ...quiet(), loadModule })).rejects.toThrow(
      /@tensorflow\/tfjs-node is installed but could not be used: libtensorflow/,
    );
  });

  it("'auto' prefers tfjs-node-gpu, then tfjs-node, skipping a broken one", async () => {
    const gpu = await selectBackend("auto", { ...quiet(), loadModule: fakeLoader({ "@tensorflow/tfjs-node-gpu": "works" }) });
    expect(gpu).toMatchObject({ name: "tensorflow-gpu", tfjsBackend: "tensorflow" });
    expect(gpu.reason).toMatch(/@tensorflow\/tfjs-node-gpu 4\.22\.0 is installed/);
    tf.removeBackend("tensorflow");

    const out = quiet();
    const loadModule = fakeLoader({ "@tensorflow/tfjs-node-gpu": "broken", "@tensorflow/tfjs-node": "works" });
    const cpuNative = await selectBackend("auto", { ...out, loadModule });
    expect(cpuNative).toMatchObject({ name: "tensorflow", tfjsBackend: "tensorflow" });
    expect(cpuNative.reason).toMatch(/tfjs-node-gpu failed to load/);
    expect(out.log.mock.calls[0][0]).toMatch(/tfjs-node-gpu is installed but could not be used/);
  });

  it("resolves thread counts to 1–8, 'auto' to the logical CPUs", () => {
    expect(resolveThreads("auto")).toBe(Math.min(8, os.availableParallelism()));
    expect(resolveThreads(0)).toBe(1);
    const cpus = os.availableParallelism();
    expect(resolveThreads(3.7)).toBe(Math.min(3, cpus));
    expect(resolveThreads(64)).toBe(Math.min(8, cpus));
    // Never more threads than logical CPUs.
    expect(resolveThreads(cpus + 1)).toBe(Math.min(8, cpus));
    expect(() => resolveThreads(Number.NaN)).toThrow(/threads must be a number or 'auto'/);
  });

  it("rejects an unknown backend name", async () => {
    await expect(selectBackend("webgpu" as "cpu", quiet())).rejects.toThrow(/unknown backend 'webgpu'/);
  });

  it("'auto' threads count the idle logical CPUs, at least one", async () => {
    const threads = await idleCpuThreads(50);
    expect(Number.isInteger(threads)).toBe(true);
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(resolveThreads("auto"));
  });
});
