import type * as tf from "@tensorflow/tfjs-core";

/**
 * Normwise relative error `max|actual − expected| / max|expected|` (or the absolute error when `expected` is
 * all zeros). This is the measure the parity tests hold to 1e-5 (forward) and 1e-4 (gradients).
 */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`relativeError: shapes differ, [${actual.shape}] vs [${expected.shape}]`);
  }
  const a = actual.dataSync();
  const e = expected.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  return scale > 0 ? diff / scale : diff;
}
