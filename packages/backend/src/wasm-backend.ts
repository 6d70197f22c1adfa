import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels } from "./register-training-kernels";

/** Options for {@link startWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Folder (ending in a path separator) holding the `.wasm` binaries. Not needed in Node: the backend's
   * Node bundle finds them beside itself in `@tensorflow/tfjs-backend-wasm/dist`. Set it only when this
   * package has been bundled into a single file and the binaries were copied elsewhere.
   */
  wasmPaths?: string;
}

/** What happened when the wasm backend was started. */
export type WasmStartResult = { ok: true } | { ok: false; error: string };

/**
 * Registers the training kernels and makes the wasm backend the active one.
 * Never throws for a backend that fails to start: tfjs reports that as `false`, returned here as an error.
 */
export async function startWasmBackend(options: WasmBackendOptions = {}): Promise<WasmStartResult> {
  registerTrainingKernels();
  try {
    if (options.wasmPaths != null && tf.findBackend("wasm") == null) wasm.setWasmPaths(options.wasmPaths);
    const ok = await tf.setBackend("wasm");
    if (!ok) return { ok: false, error: "tfjs could not initialise the wasm backend (its warning above says why)" };
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether the wasm runtime has SIMD (evaluated by tfjs when the backend starts); null before that. */
export function wasmSimd(): boolean | null {
  return cachedFlag("WASM_HAS_SIMD_SUPPORT");
}

/** Whether the wasm runtime was started with its multithreaded build; null before the backend starts. */
export function wasmMultithreaded(): boolean | null {
  return cachedFlag("WASM_HAS_MULTITHREAD_SUPPORT");
}

/** Threads XNNPACK uses in the wasm backend, or null when the backend has not started. */
export function wasmThreadCount(): number | null {
  try {
    return wasm.getThreadsCount();
  } catch {
    return null;
  }
}

function cachedFlag(name: string): boolean | null {
  // Async flags are cached once evaluated; reading one before that throws.
  const value = tf.env().getFlags()[name];
  return typeof value === "boolean" ? value : null;
}
