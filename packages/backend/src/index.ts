/**
 * @gan/backend: picks the fastest TensorFlow.js backend for GAN training in Node and adds the kernels the
 * wasm backend lacks (or runs slowly) for training.
 */
export { selectBackend } from "./select-backend";
export type { BackendName, SelectBackendOptions, SelectedBackend } from "./select-backend";
export { backendInfo, describeBackend } from "./backend-info";
export type { BackendInfo } from "./backend-info";
export { BackendUnavailableError, NATIVE_PACKAGES } from "./native-backend";
export type { NativeBackendName } from "./native-backend";
export { idleCpuThreads, resolveThreads, startWasmBackend } from "./wasm-backend";
export { MAX_WASM_THREADS } from "./wasm-threads";
export type { WasmBackendOptions, WasmStartResult } from "./wasm-backend";
export {
  TRAINING_KERNELS,
  registerTrainingKernels,
  trainingKernelsRegistered,
  unregisterTrainingKernels,
} from "./register-training-kernels";
export { defaultModuleLoader } from "./load-optional";
export type { ModuleLoader } from "./load-optional";
export { planBatchMatMul } from "./kernels/batch-mat-mul";
export type { BatchMatMulPlan } from "./kernels/batch-mat-mul";
export { FUSED_ATTENTION, FUSED_ATTENTION_GRAD } from "./kernels/fused-attention";
export { planPhaseConvolution } from "./kernels/conv2d-backprop-input";
export type { MergedAxis, PhaseConvolutionPlan, PhasePlan } from "./kernels/conv2d-backprop-input";
