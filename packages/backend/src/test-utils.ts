// Helpers shared by this package's tests (not part of the public API).
import * as tf from "@tensorflow/tfjs-core";

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomArray(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest absolute difference divided by the largest magnitude of the reference. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) diff = d; // also catches NaN
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs `fn` with `backend` active and returns the values of the tensors it produced, then frees them. */
export async function valuesOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const result = tf.tidy(fn);
  const list = Array.isArray(result) ? result : [result];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values;
}

/** Runs the kernel `name` directly through the engine. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Wraps the wasm kernel `name` so that its runs are counted (to check that a path takes the fast kernel):
 * `calls()` reads the count, `restore()` puts the kernel back as it was.
 */
export function countWasmKernelCalls(name: string): { calls: () => number; restore: () => void } {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel == null) throw new Error(`countWasmKernelCalls: no wasm kernel '${name}'`);
  let count = 0;
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      count++;
      return kernel.kernelFunc(args);
    },
  });
  return {
    calls: () => count,
    restore: () => {
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel(kernel);
    },
  };
}
