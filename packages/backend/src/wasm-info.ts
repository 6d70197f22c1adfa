import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";

/** Whether the wasm runtime has SIMD (evaluated by tfjs when the backend starts); null before that. */
export function wasmSimd(): boolean | null {
  return cachedFlag("WASM_HAS_SIMD_SUPPORT");
}

/** Whether the wasm runtime runs its multithreaded build; null before the backend starts. */
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
