/**
 * `@gan/backend`: the kernels TensorFlow.js's WebAssembly backend lacks (or runs slowly) for training, and a
 * description of the active backend. This entry runs in a browser, a Web Worker and Node alike.
 *
 * In Node, `@gan/backend/node` picks the fastest backend (`selectBackend`: tfjs-node-gpu, tfjs-node, wasm with
 * XNNPACK threads, cpu).
 *
 * @packageDocumentation
 */
export { useWasmBackend, type UseWasmBackendOptions } from "./use-wasm-backend";
export { backendInfo, describeBackend } from "./backend-info";
export type { BackendInfo } from "./backend-info";
export { wasmSimd, wasmMultithreaded, wasmThreadCount } from "./wasm-info";
export {
  TRAINING_KERNELS,
  registerTrainingKernels,
  trainingKernelsRegistered,
  unregisterTrainingKernels,
} from "./register-training-kernels";
export { planBatchMatMul } from "./kernels/batch-mat-mul";
export type { BatchMatMulPlan } from "./kernels/batch-mat-mul";
export { FUSED_ATTENTION, FUSED_ATTENTION_GRAD } from "./kernels/fused-attention";
export { ADAM_UPDATE, type AdamUpdateAttrs } from "./kernels/adam-update";
export { planPhaseConvolution } from "./kernels/conv2d-backprop-input";
export type { MergedAxis, PhaseConvolutionPlan, PhasePlan } from "./kernels/conv2d-backprop-input";
