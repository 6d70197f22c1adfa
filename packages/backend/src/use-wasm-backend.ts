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
  /**
   * XNNPACK threads, where the runtime runs tfjs's threaded build (a cross-origin isolated page or worker):
   * a whole number ≥ 1, capped at the logical CPUs with a notice. Default: one per logical CPU
   * (`navigator.hardwareConcurrency`), at most 8 — tfjs's own default is half the CPUs, one thread on a 2-core
   * machine. Ignored once the backend has started, and in Node, where `selectBackend` of `@gan/backend/node`
   * manages threads.
   */
  threads?: number;
  /** Where the notice of a capped `threads` goes (default `console.warn`). */
  warn?: (message: string) => void;
}

function checkThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`@gan/backend: useWasmBackend: threads: expected a whole number ≥ 1, got ${threads}`);
  }
}

/** The logical CPUs the browser reports, or undefined outside a browser or worker. */
function logicalCpus(): number | undefined {
  if (tf.env().getBool("IS_NODE")) return undefined;
  const count = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof count === "number" && count >= 1 ? Math.floor(count) : undefined;
}

/**
 * The XNNPACK thread count for {@link useWasmBackend} in a browser: `requested` capped at the logical CPUs
 * (`cpus`, with a notice through `warn`), else one per logical CPU, at most 8. Throws on a request that is not a
 * whole number ≥ 1.
 */
export function browserWasmThreads(requested: number | undefined, cpus: number, warn: (message: string) => void): number {
  if (requested === undefined) return Math.min(cpus, 8);
  checkThreads(requested);
  if (requested > cpus) {
    warn(`@gan/backend: useWasmBackend: threads ${requested} capped at ${cpus}, the logical CPUs here`);
    return cpus;
  }
  return requested;
}

/**
 * Registers the training kernels and makes the WebAssembly backend the active one. Runs in a browser, a Web
 * Worker and Node alike (tfjs picks SIMD and, where the page is cross-origin isolated, its threaded build, which
 * then runs {@link UseWasmBackendOptions.threads} threads). In Node, `selectBackend` of `@gan/backend/node` does
 * more: native backends and XNNPACK threads.
 * Throws when the backend cannot start.
 */
export async function useWasmBackend(options: UseWasmBackendOptions = {}): Promise<void> {
  registerTrainingKernels();
  if (options.threads !== undefined) checkThreads(options.threads);
  const cpus = logicalCpus();
  let restoreCpus = () => {};
  if (tf.findBackend("wasm") == null) {
    if (options.wasmPaths != null) wasm.setWasmPaths(options.wasmPaths as string);
    if (cpus !== undefined) {
      const threads = browserWasmThreads(options.threads, cpus, options.warn ?? console.warn);
      wasm.setThreadsCount(threads);
      restoreCpus = reportCpus(2 * threads);
    }
  }
  try {
    if (!(await tf.setBackend("wasm"))) throw new Error("@gan/backend: tfjs could not initialise the wasm backend");
  } finally {
    restoreCpus();
  }
}

/**
 * tfjs's C side caps its thread pool at half of `navigator.hardwareConcurrency` (it assumes two hyperthreads per
 * core), read while the backend starts: so that the count asked for is used, the navigator reports at least
 * `count` CPUs until the returned function is called. Does nothing where the property cannot be shadowed.
 */
function reportCpus(count: number): () => void {
  const nav = (globalThis as { navigator?: object }).navigator;
  const real = (nav as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency;
  if (nav == null || typeof real !== "number" || real >= count) return () => {};
  try {
    Object.defineProperty(nav, "hardwareConcurrency", { value: count, configurable: true });
  } catch {
    return () => {};
  }
  return () => {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}
