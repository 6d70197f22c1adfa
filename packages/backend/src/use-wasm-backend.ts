import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels } from "./register-training-kernels";

/** Options of {@link useWasmBackend}. */
export interface UseWasmBackendOptions {
  /**
   * Where the `.wasm` binaries of `@tensorflow/tfjs-backend-wasm` are served: a URL prefix ending in `/`, or one
   * URL per binary (`tfjs-backend-wasm.wasm`, `-simd.wasm`, `-threaded-simd.wasm`). Needed in a browser when the
   * bundler does not serve them beside the script; ignored once the backend has started.
   */
  wasmPaths?: string | Record<string, string>;
}

/**
 * Registers the training kernels and makes the WebAssembly backend the active one. Runs in a browser, a Web
 * Worker and Node alike (tfjs picks SIMD and, where the page is cross-origin isolated, threads). In Node,
 * `selectBackend` of `@gan/backend/node` does more: native backends and XNNPACK threads.
 * Throws when the backend cannot start.
 */
export async function useWasmBackend(options: UseWasmBackendOptions = {}): Promise<void> {
  registerTrainingKernels();
  if (tf.findBackend("wasm") == null && options.wasmPaths != null) {
    wasm.setWasmPaths(options.wasmPaths as string);
  }
  if (!(await tf.setBackend("wasm"))) throw new Error("@gan/backend: tfjs could not initialise the wasm backend");
}
