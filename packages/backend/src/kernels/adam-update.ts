import { ADAM_UPDATE_KERNEL } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd-kernels";
import { type KernelArgs, heapF32, heapIndex } from "./wasm-internals";

/** The fused Adam kernel's name: `@gan/spec`'s, which `@gan/trainer`'s Adam dispatches to. */
export const ADAM_UPDATE = ADAM_UPDATE_KERNEL;

/** The attributes of {@link adamUpdate}. */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** 1 − β1ᵗ as tfjs's optimizer holds it (float32). */
  oneMinusAccBeta1: number;
  /** 1 − β2ᵗ. */
  oneMinusAccBeta2: number;
}

/**
 * One Adam update of a parameter in one pass: returns the new `[x, m, v]`. tfjs's `AdamOptimizer` runs 13 ops per
 * parameter, each a full pass over memory with a new tensor; this reads x, m, v and g once and writes the three
 * results once. The float32 operations and their order are tfjs's, so the results are the same bits.
 */
export function adamUpdate(args: KernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, m, v, g } = inputs as { x: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo; g: tf.TensorInfo };
  const a = attrs as unknown as AdamUpdateAttrs;
  for (const [name, t] of [["m", m], ["v", v], ["g", g]] as const) {
    if (t.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(t.shape, x.shape)) {
      throw new Error(`@gan/backend: ${ADAM_UPDATE} takes float32 x, m, v, g of one shape; x is ${x.dtype} [${x.shape}], ${name} is ${t.dtype} [${t.shape}]`);
    }
  }
  const outs = [x, m, v].map(() => backend.makeOutput(x.shape, "float32"));
  const size = tf.util.sizeFromShape(x.shape);
  const [ix, im, iv, ig, ox, om, ov] = [x, m, v, g, ...outs].map((t) => heapIndex(backend, t));
  // tfjs turns each number into a float32 scalar tensor before using it; so do these.
  const c = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.oneMinusAccBeta1, a.oneMinusAccBeta2, a.epsilon, -a.learningRate].map(Math.fround);
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.adamUpdate(4 * ix, 4 * im, 4 * iv, 4 * ig, 4 * ox, 4 * om, 4 * ov, size, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
    return outs;
  }
  adamUpdateLoop(heapF32(backend), [ix, im, iv, ig, ox, om, ov], size, c);
  return outs;
}

/**
 * The update in JS, where the SIMD module cannot run: `at` holds the float32 indices of x, m, v, g and of the
 * new x, m, v; `c` the float32 constants in the order of the SIMD loop's arguments. Each step is rounded to
 * float32 as the ops round it (rounding the double result of +, −, ×, ÷ or √ of floats again gives the same).
 */
export function adamUpdateLoop(heap: Float32Array, at: readonly number[], size: number, c: readonly number[]): void {
  const [ix, im, iv, ig, ox, om, ov] = at;
  const f = Math.fround;
  for (let i = 0; i < size; i++) {
    const gi = heap[ig + i];
    const mi = f(f(heap[im + i] * c[0]) + f(gi * c[1]));
    const vi = f(f(heap[iv + i] * c[2]) + f(f(gi * gi) * c[3]));
    heap[om + i] = mi;
    heap[ov + i] = vi;
    const step = f(f(mi / c[4]) / f(f(Math.sqrt(f(vi / c[5]))) + c[6]));
    heap[ox + i] = f(step * c[7]) + heap[ix + i];
  }
}
