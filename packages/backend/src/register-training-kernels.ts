import { ADAM_UPDATE, adamUpdate } from "./kernels/adam-update";
import { batchMatMul } from "./kernels/batch-mat-mul";
import { conv2DBackpropFilter } from "./kernels/conv2d-backprop-filter";
import { conv2DBackpropInput } from "./kernels/conv2d-backprop-input";
import { identity } from "./kernels/identity";
import { leakyRelu } from "./kernels/leaky-relu";
import { transpose } from "./kernels/transpose";
import { LEAKY_RELU_GRAD, installLeakyReluGradient, leakyReluGrad, restoreLeakyReluGradient } from "./kernels/leaky-relu-grad";
import { mean, sum } from "./kernels/reduce";
import { FUSED_ATTENTION, FUSED_ATTENTION_GRAD, fusedAttention, fusedAttentionGrad } from "./kernels/fused-attention";
import { installWasmKernel, isCustomWasmKernel, restoreStockWasmKernel } from "./kernels/kernel-registry";
import type { WasmKernelFunc } from "./kernels/wasm-internals";

/** The wasm kernels this package adds or replaces, and why. */
export const TRAINING_KERNELS: ReadonlyArray<{ name: string; reason: string; kernel: WasmKernelFunc }> = [
  {
    name: "Conv2DBackpropFilter",
    reason: "missing on wasm (weight gradients of convolutions throw); added as an XNNPACK convolution",
    kernel: conv2DBackpropFilter,
  },
  {
    name: "Conv2DBackpropInput",
    reason: "stock kernel is a scalar loop; stride phases run as one XNNPACK convolution",
    kernel: conv2DBackpropInput,
  },
  {
    name: "BatchMatMul",
    reason: "stock kernel loops in scalar code for batch > 1 or transposes; now XNNPACK per product",
    kernel: batchMatMul,
  },
  {
    name: "Identity",
    reason: "stock kernel copies every element; ours shares the data, reference-counted (as Reshape does)",
    kernel: identity,
  },
  {
    name: "Sum",
    reason: "stock kernel transposes the whole tensor before reducing leading axes (BatchNorm, bias gradients); ours sums columns in place",
    kernel: sum,
  },
  {
    name: "Mean",
    reason: "as Sum",
    kernel: mean,
  },
  {
    name: "Transpose",
    reason: "stock kernel moves one element at a time; matrix-like permutations (weight layouts) now run as SIMD transposes",
    kernel: transpose,
  },
  {
    name: "LeakyRelu",
    reason: "stock kernel is a scalar C loop; ours is one SIMD pass, bit-identical",
    kernel: leakyRelu,
  },
  {
    name: LEAKY_RELU_GRAD,
    reason: "new: LeakyReLU's input gradient in one pass (tfjs's gradient runs Greater, Multiply and Select); registered as LeakyRelu's gradient where the backend has it",
    kernel: leakyReluGrad,
  },
  {
    name: FUSED_ATTENTION,
    reason: "new: self-attention output without materialising the [B, N, N] map (SelfAttention2d uses it when no map is asked for)",
    kernel: fusedAttention,
  },
  {
    name: FUSED_ATTENTION_GRAD,
    reason: "new: its gradient, recomputing the attention per batch element instead of keeping it",
    kernel: fusedAttentionGrad,
  },
  {
    name: ADAM_UPDATE,
    reason: "new: one Adam update per parameter in one SIMD pass (tfjs's optimizer runs 13 ops, each a pass with a new tensor); bit-identical",
    kernel: adamUpdate,
  },
];

/**
 * Registers the kernels the wasm backend needs to train GANs quickly (see {@link TRAINING_KERNELS}).
 * Idempotent: calling it again changes nothing. Can be called before or after the wasm backend starts.
 * Returns the names of the kernels it installed by this call.
 */
export function registerTrainingKernels(): string[] {
  const installed: string[] = [];
  for (const { name, kernel } of TRAINING_KERNELS) {
    if (installWasmKernel(name, kernel)) installed.push(name);
  }
  installLeakyReluGradient();
  return installed;
}

/** Whether every kernel of {@link TRAINING_KERNELS} is installed. */
export function trainingKernelsRegistered(): boolean {
  return TRAINING_KERNELS.every(({ name }) => isCustomWasmKernel(name));
}

/**
 * Puts the stock wasm kernels back (Conv2DBackpropFilter disappears again). For benchmarks and tests that
 * compare against tfjs as shipped.
 */
export function unregisterTrainingKernels(): void {
  for (const { name } of TRAINING_KERNELS) restoreStockWasmKernel(name);
  restoreLeakyReluGradient();
}
