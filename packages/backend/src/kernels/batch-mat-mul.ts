import * as tf from "@tensorflow/tfjs-core";
import { stockWasmKernel } from "./kernel-registry";
import {
  type KernelArgs,
  type WasmBackend,
  disposeIntermediate,
  reshapeInfo,
  transposeInfo,
} from "./wasm-internals";
import { matMulAt } from "./xnn-matmul";

/** Below this many multiply-adds per matrix product, the per-call setup of XNNPACK costs more than it saves. */
const MIN_MACS_PER_PRODUCT = 32 * 1024;

/** A stack of row-major matrices in wasm memory: `batch` × [rows, cols]. */
interface Operand {
  info: tf.TensorInfo;
  batch: number;
  rows: number;
  cols: number;
  /** Whether `info` was made here and must be freed. */
  owned: boolean;
}

/** Returns `x` (a stack of [r, c] matrices) as a stack of row-major matrices, transposing when asked. */
function asRowMajor(backend: WasmBackend, x: tf.TensorInfo, batch: number, r: number, c: number, transpose: boolean): Operand {
  if (!transpose) return { info: x, batch, rows: r, cols: c, owned: false };
  const x3 = reshapeInfo(backend, x, [batch, r, c]);
  const t = transposeInfo(backend, x3, [0, 2, 1]);
  disposeIntermediate(backend, x3);
  return { info: t, batch, rows: c, cols: r, owned: true };
}

/**
 * `BatchMatMul` for the wasm backend. The stock kernel sends every product with a batch above 1 or a
 * transposed operand to a scalar blocked loop (≈2.8 GFLOP/s); only an untransposed single product reaches
 * XNNPACK (≈34 GFLOP/s). This kernel makes every product an untransposed single one: transposed operands
 * are materialised (or, when cheaper, Cᵀ = op(B)ᵀ·op(A)ᵀ is computed and transposed back), and each
 * batch element runs through XNNPACK on views into the tensors' memory, without copying. When the right
 * operand is shared by the whole batch, the batch becomes one tall product. Tiny products, unusual
 * broadcasts and non-float data go to the stock kernel.
 */
export function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const plan = a.dtype === "float32" && b.dtype === "float32" ? planBatchMatMul(a.shape, b.shape, transposeA, transposeB) : null;
  if (plan == null) {
    const stock = stockWasmKernel("BatchMatMul");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no BatchMatMul kernel");
    return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const { m, k, n, batchA, batchB, batch, outer } = plan;
  let result: tf.TensorInfo;
  if (plan.mode === "direct") {
    const left = asRowMajor(backend, a, batchA, transposeA ? k : m, transposeA ? m : k, transposeA);
    const right = asRowMajor(backend, b, batchB, transposeB ? n : k, transposeB ? k : n, transposeB);
    result = productOfStacks(backend, left, right, batch);
  } else {
    // Cᵀ = op(B)ᵀ·op(A)ᵀ, where op(B)ᵀ is b as stored when transposeB and op(A)ᵀ is a as stored when transposeA.
    const left = asRowMajor(backend, b, batchB, transposeB ? n : k, transposeB ? k : n, !transposeB);
    const right = asRowMajor(backend, a, batchA, transposeA ? k : m, transposeA ? m : k, !transposeA);
    const ct = productOfStacks(backend, left, right, batch);
    result = transposeInfo(backend, ct, [0, 2, 1]);
    disposeIntermediate(backend, ct);
  }
  const shaped = reshapeInfo(backend, result, [...outer, m, n]);
  disposeIntermediate(backend, result);
  return shaped;
}

/** How {@link batchMatMul} computes a product. */
export interface BatchMatMulPlan {
  /** `direct`: C = op(A)·op(B); `swapped`: Cᵀ = op(B)ᵀ·op(A)ᵀ, transposed back (fewer elements to move). */
  mode: "direct" | "swapped";
  m: number;
  k: number;
  n: number;
  batchA: number;
  batchB: number;
  batch: number;
  outer: number[];
}

/**
 * Plans a BatchMatMul on XNNPACK, or returns null when the stock kernel should run it: a single
 * untransposed product (the stock kernel already uses XNNPACK), tiny products, broadcasts other than
 * "one side has batch 1", or mismatched shapes (the stock kernel reports those).
 */
export function planBatchMatMul(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): BatchMatMulPlan | null {
  const aRank = aShape.length;
  const bRank = bShape.length;
  if (aRank < 2 || bRank < 2) return null;
  const m = transposeA ? aShape[aRank - 1] : aShape[aRank - 2];
  const k = transposeA ? aShape[aRank - 2] : aShape[aRank - 1];
  const kB = transposeB ? bShape[bRank - 1] : bShape[bRank - 2];
  const n = transposeB ? bShape[bRank - 2] : bShape[bRank - 1];
  if (k !== kB) return null;
  const batchA = tf.util.sizeFromShape(aShape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(bShape.slice(0, -2));
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  } catch {
    return null;
  }
  const batch = tf.util.sizeFromShape(outer);
  const simpleBroadcast = batch === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1);
  const single = batch === 1 && !transposeA && !transposeB;
  if (!simpleBroadcast || single || m * n * k < MIN_MACS_PER_PRODUCT) return null;
  // Elements moved by transposes in each formulation.
  const direct = (transposeA ? m * k * batchA : 0) + (transposeB ? k * n * batchB : 0);
  const swapped = (transposeB ? 0 : k * n * batchB) + (transposeA ? 0 : m * k * batchA) + m * n * batch;
  return { mode: direct <= swapped ? "direct" : "swapped", m, k, n, batchA, batchB, batch, outer };
}

/** out[i] = left[i or 0] · right[i or 0] for i < batch, all row-major; frees owned operands. */
function productOfStacks(backend: WasmBackend, left: Operand, right: Operand, batch: number): tf.TensorInfo {
  const { rows, cols: k } = left;
  const cols = right.cols;
  const out = backend.makeOutput([batch, rows, cols], "float32");
  const leftBase = backend.dataIdMap.get(left.info.dataId).memoryOffset;
  const rightBase = backend.dataIdMap.get(right.info.dataId).memoryOffset;
  const outBase = backend.dataIdMap.get(out.dataId).memoryOffset;
  try {
    if (right.batch === 1) {
      // A shared right operand: the whole stack on the left is one tall matrix.
      matMulAt(backend, leftBase, rightBase, outBase, rows * batch, k, cols);
    } else {
      for (let i = 0; i < batch; i++) {
        const leftAt = leftBase + (left.batch === 1 ? 0 : i * rows * k * 4);
        matMulAt(backend, leftAt, rightBase + i * k * cols * 4, outBase + i * rows * cols * 4, rows, k, cols);
      }
    }
  } finally {
    if (left.owned) disposeIntermediate(backend, left.info);
    if (right.owned) disposeIntermediate(backend, right.info);
  }
  return out;
}
