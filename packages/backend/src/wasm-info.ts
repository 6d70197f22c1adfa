import * as wasm from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/** Whether the wasm runtime has SIMD (evaluated by tfjs when the backend starts); null before that. */
export function wasmSimd(): boolean | null {
  return cachedFlag("WASM_HAS_SIMD_SUPPORT");
}

/** Whether the wasm runtime runs its multithreaded build; null before the backend starts. */
export function wasmMultithreaded(): boolean | null {
  return cachedFlag("WASM_HAS_MULTITHREAD_SUPPORT");
}

/**
 * Threads XNNPACK uses in the wasm backend now, or null when the backend has not started. Read from the backend's C
 * side, so it follows the thread governor of `@gan/backend/node` (`threads: "auto"`) when it switches.
 */
export function wasmThreadCount(): number | null {
  try {
    const started = wasm.getThreadsCount(); // throws before the backend starts
    const live = (tf.findBackend("wasm") as { wasm?: { tfjs?: { getThreadsCount?: () => number } } } | null)?.wasm?.tfjs?.getThreadsCount?.();
    return typeof live === "number" && live > 0 ? live : started;
  } catch {
    return null;
  }
}

function cachedFlag(name: string): boolean | null {
  // Async flags are cached once evaluated; reading one before that throws.
  const value = tf.env().getFlags()[name];
  return typeof value === "boolean" ? value : null;
}
