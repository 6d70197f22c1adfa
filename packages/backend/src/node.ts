/**
 * `@gan/backend/node`: picks the fastest TensorFlow.js backend for GAN training in Node — tfjs-node-gpu or
 * tfjs-node when installed, else the WebAssembly backend with XNNPACK threads and this package's training
 * kernels, else the plain cpu backend.
 *
 * @packageDocumentation
 */

export type { ModuleLoader } from "./load-optional";
export { defaultModuleLoader } from "./load-optional";
export type { NativeBackendName } from "./native-backend";
export { BackendUnavailableError, NATIVE_PACKAGES } from "./native-backend";
export type { BackendName, SelectBackendOptions, SelectedBackend } from "./select-backend";
export { selectBackend } from "./select-backend";
export type { ThreadGovernorOptions, ThreadProbe } from "./thread-governor";
export { ThreadGovernor } from "./thread-governor";
export type { WasmBackendOptions, WasmStartResult } from "./wasm-backend";
export { idleCpuThreads, resolveThreads, startWasmBackend, wasmThreadGovernor } from "./wasm-backend";
export { MAX_WASM_THREADS } from "./wasm-threads";
