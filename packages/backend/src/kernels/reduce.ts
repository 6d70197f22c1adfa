import * as tf from "@tensorflow/tfjs-core";
import { stockWasmKernel } from "./kernel-registry";
import { simdKernels } from "./simd-kernels";
import { type KernelArgs, heapF32, heapIndex } from "./wasm-internals";

/**
 * When `axis` names exactly the leading axes of `shape` (not all of them), the reduction is the column sums of
 * a `rows` × `cols` matrix; otherwise null.
 */
export function leadingAxesReduction(shape: number[], axis: number | number[]): { rows: number; cols: number } | null {
  const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length || axes.some((a, i) => a !== i)) return null;
  const rows = tf.util.sizeFromShape(shape.slice(0, axes.length));
  const cols = tf.util.sizeFromShape(shape.slice(axes.length));
  return { rows, cols };
}

function reduceLeading(args: KernelArgs, kernelName: "Sum" | "Mean"): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const plan = x.dtype === "float32" ? leadingAxesReduction(x.shape, axis) : null;
  if (plan == null || plan.rows === 0 || plan.cols === 0) {
    const stock = stockWasmKernel(kernelName);
    if (stock == null) throw new Error(`@gan/backend: the wasm backend has no ${kernelName} kernel`);
    return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const { rows, cols } = plan;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.slice(axes.length);
  const out = backend.makeOutput(outShape, "float32");
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  const simd = simdKernels(backend);
  const heap = heapF32(backend);
  if (simd != null) {
    simd.colSums(4 * src, rows, cols, 4 * dst);
  } else {
    heap.fill(0, dst, dst + cols);
    for (let r = 0; r < rows; r++) {
      const row = src + r * cols;
      for (let c = 0; c < cols; c++) heap[dst + c] += heap[row + c];
    }
  }
  if (kernelName === "Mean") {
    for (let c = 0; c < cols; c++) heap[dst + c] = heap[dst + c] / rows;
  }
  return out;
}

/**
 * `Sum` (wasm) over leading axes — BatchNorm's statistics and every bias gradient reduce an NHWC tensor over
 * N, H, W — as column sums in one pass, where the stock kernel first transposes the whole tensor to put the
 * reduced axes last. Same float32 additions in the same order, so the same results. Other reductions go to
 * the stock kernel.
 */
export function sum(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, "Sum");
}

/** `Mean` (wasm) over leading axes, as {@link sum} then a division by the count, as the stock kernel does. */
export function mean(args: KernelArgs): tf.TensorInfo {
  return reduceLeading(args, "Mean");
}
