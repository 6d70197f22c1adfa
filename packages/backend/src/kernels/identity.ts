import type * as tf from "@tensorflow/tfjs-core";
import { stockWasmKernel } from "./kernel-registry";
import type { KernelArgs } from "./wasm-internals";

/**
 * `Identity` (wasm) without a copy: the output shares the input's data, reference-counted, as the stock
 * `Reshape` kernel and the cpu backend's `Identity` already do (no wasm kernel writes into its inputs). The
 * stock kernel copies every element; the engine and the gradient tape call it about a thousand times per
 * SAGAN training iteration (`tf.clone`, gradients passed through unchanged), some on [64, 1024, 1024] maps.
 */
export function identity(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype === "string") {
    const stock = stockWasmKernel("Identity");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no Identity kernel");
    return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
