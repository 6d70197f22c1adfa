import * as tf from "@tensorflow/tfjs-core";
import { trainingKernelsRegistered } from "./register-training-kernels";
import { wasmMultithreaded, wasmSimd, wasmThreadCount } from "./wasm-info";

/** A description of the active tfjs backend. */
export interface BackendInfo {
  /** The active tfjs backend (`tf.getBackend()`): `tensorflow`, `wasm`, `cpu`, ... */
  name: string;
  /** The version of `@tensorflow/tfjs-core` in use. */
  tfjsVersion: string;
  /** wasm: whether the SIMD build runs; null for other backends. */
  simd: boolean | null;
  /** wasm: whether the multithreaded build runs; null for other backends. */
  threads: boolean | null;
  /** wasm: threads XNNPACK uses; null for other backends. */
  threadCount: number | null;
  /** tensorflow: whether libtensorflow runs on a GPU; null for other backends. */
  gpu: boolean | null;
  /** wasm: whether this package's training kernels are registered; null for other backends. */
  trainingKernels: boolean | null;
}

/** Describes the active backend (call after `selectBackend` or `tf.setBackend`). */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  const isWasm = name === "wasm";
  const native = name === "tensorflow" ? (tf.backend() as unknown as { isUsingGpuDevice?: boolean }) : null;
  return {
    name,
    tfjsVersion: tf.version_core,
    simd: isWasm ? wasmSimd() : null,
    threads: isWasm ? wasmMultithreaded() : null,
    threadCount: isWasm ? wasmThreadCount() : null,
    gpu: native != null && typeof native.isUsingGpuDevice === "boolean" ? native.isUsingGpuDevice : null,
    trainingKernels: isWasm ? trainingKernelsRegistered() : null,
  };
}

/** One line for logs, e.g. `wasm (tfjs 4.22.0, SIMD, 1 thread, training kernels)`. */
export function describeBackend(info: BackendInfo): string {
  const parts = [`tfjs ${info.tfjsVersion}`];
  if (info.simd != null) parts.push(info.simd ? "SIMD" : "no SIMD");
  if (info.threadCount != null) parts.push(`${info.threadCount} thread${info.threadCount === 1 ? "" : "s"}`);
  if (info.gpu != null) parts.push(info.gpu ? "GPU" : "CPU only");
  if (info.trainingKernels != null) parts.push(info.trainingKernels ? "training kernels" : "stock kernels");
  return `${info.name} (${parts.join(", ")})`;
}
