import * as tf from "@tensorflow/tfjs-core";

/**
 * The parts of `@tensorflow/tfjs-backend-wasm`'s Emscripten module that the custom kernels use.
 * The wasm backend is pinned to one exact version (4.22.0), so these internals are stable for us.
 */
export interface WasmModule {
  /** The whole wasm heap as float32; replaced when the heap grows, so read it after allocating. */
  HEAPF32: Float32Array;
  /** The module's memory (exposed by the multithreaded build, whose heap is a SharedArrayBuffer). */
  wasmMemory?: { buffer: ArrayBufferLike };
  /** Wraps an exported C function. */
  cwrap(name: string, returnType: null | "number", argTypes: string[]): (...args: unknown[]) => unknown;
  /** The backend's bridge: tensor ids known to the C++ side. */
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** What the wasm backend stores for one tensor's data. */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

/** The methods and fields of `BackendWasm` that the custom kernels use. */
export interface WasmBackend extends tf.KernelBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: tf.DataId): WasmTensorData };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
}

/** Arguments a kernel function receives from the engine. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: WasmBackend;
  attrs?: tf.NamedAttrMap;
}

/** A kernel function working on wasm tensor infos. */
export type WasmKernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Calls the kernel currently registered for `wasm` under `name` (a stock kernel or one of ours). */
export function runWasmKernel(
  name: string,
  backend: WasmBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(name, "wasm");
  if (config == null) throw new Error(`@gan/backend: the wasm backend has no '${name}' kernel`);
  return config.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** Frees an intermediate tensor made inside a kernel (honours reference counts, as reshapes share data). */
export function disposeIntermediate(backend: WasmBackend, info: tf.TensorInfo): void {
  backend.disposeData(info.dataId);
}

/** Offset, in float32 elements, of a tensor's data in the wasm heap. */
export function heapIndex(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset >>> 2;
}

/** The wasm heap as float32 (fetch again after any allocation: growing the heap replaces the buffer). */
export function heapF32(backend: WasmBackend): Float32Array {
  const { HEAPF32, wasmMemory } = backend.wasm;
  // A shared heap grown by another thread leaves the module's views short until it next refreshes them.
  if (wasmMemory != null && wasmMemory.buffer !== HEAPF32.buffer) return new Float32Array(wasmMemory.buffer);
  return HEAPF32;
}

/** Transposes a tensor with the wasm backend's own kernel. */
export function transposeInfo(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel("Transpose", backend, { x }, { perm });
}

/** Reshapes a tensor (no copy; the result shares the data and must be disposed). */
export function reshapeInfo(backend: WasmBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runWasmKernel("Reshape", backend, { x }, { shape });
}
