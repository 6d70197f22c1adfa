import type * as tf from "@tensorflow/tfjs-core";
import { stockWasmKernel } from "./kernel-registry";
import { transposeAt } from "./simd-kernels";
import { type KernelArgs, disposeIntermediate, heapIndex } from "./wasm-internals";

/**
 * A permutation with the axes that move together merged: `[O, I, kh, kw]` by `[2, 3, 1, 0]` is `[O, I, kh·kw]`
 * by `[2, 1, 0]`. Axes of size 1 are dropped first.
 */
export function mergeAxes(shape: readonly number[], perm: readonly number[]): { dims: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Runs of consecutive input axes in the output order.
  const runs: number[][] = [];
  for (const axis of kept) {
    const run = runs[runs.length - 1];
    if (run != null && run[run.length - 1] === axis - 1) run.push(axis);
    else runs.push([axis]);
  }
  const byInputOrder = [...runs].sort((a, b) => a[0] - b[0]);
  const dims = byInputOrder.map((run) => run.reduce((n, axis) => n * shape[axis], 1));
  return { dims, perm: runs.map((run) => byInputOrder.indexOf(run)) };
}

/**
 * `Transpose` (wasm) for float32 through the SIMD transposes of this package, for the permutations that are
 * one matrix transpose after merging axes (`[1, 0]`), a batch of them (`[0, 2, 1]`), or the reversal of three
 * axes (`[2, 1, 0]`: the weight layouts `[O, I, kh, kw]` ↔ `[kh, kw, I, O]` that every convolution's forward and
 * backward pass transposes, as two matrix transposes). The stock kernel moves one element at a time with generic
 * index arithmetic (5 ms for a [512, 256, 4, 4] weight); the same values either way. Other permutations and
 * dtypes run the stock kernel.
 */
export function transpose(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: tf.TensorInfo };
  const perm = (attrs as unknown as { perm: number[] }).perm;
  const { dims, perm: p } = mergeAxes(x.shape, perm);
  const key = p.join();
  const fast = x.dtype === "float32" && (key === "1,0" || key === "0,2,1" || key === "2,1,0");
  if (!fast) {
    const stock = stockWasmKernel("Transpose");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no Transpose kernel");
    return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const out = backend.makeOutput(
    perm.map((axis) => x.shape[axis]),
    "float32",
  );
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  if (key === "1,0") {
    const [rows, cols] = dims;
    transposeAt(backend, src, cols, dst, rows, rows, cols);
  } else if (key === "0,2,1") {
    const [batch, rows, cols] = dims;
    for (let b = 0; b < batch; b++) transposeAt(backend, src + b * rows * cols, cols, dst + b * rows * cols, rows, rows, cols);
  } else {
    // [A, B, K] → [K, B, A]: each [B, K] slab to [K, B] in a scratch, then [A, K·B] → [K·B, A].
    const [a, b, k] = dims;
    const scratch = backend.makeOutput([a, k, b], "float32");
    try {
      const at = heapIndex(backend, scratch);
      for (let i = 0; i < a; i++) transposeAt(backend, src + i * b * k, k, at + i * k * b, b, b, k);
      transposeAt(backend, at, k * b, dst, a, a, k * b);
    } finally {
      disposeIntermediate(backend, scratch);
    }
  }
  return out;
}
