import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { fileURLToPath } from "node:url";

/**
 * Most threads the multithreaded build can use: it starts a pool of 8 workers.
 */
export const MAX_WASM_THREADS = 8;

const THREADED_SCRIPT = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

interface EmscriptenConfig {
  mainScriptUrlOrBlob: string;
  locateFile: (path: string, prefix: string) => string;
}
type ThreadedFactory = (config: EmscriptenConfig) => Promise<WasmThreadedModule>;
interface WasmThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers?: Array<{ unref?: () => void }> };
}

/** The pthread worker script shipped beside this module (src/ in tests, dist/ when built). */
function workerPath(): string {
  return fileURLToPath(new URL("./wasm-thread-worker.cjs", import.meta.url));
}

/**
 * Why the multithreaded wasm build cannot run here, or null when it can. tfjs itself never uses it in
 * Node (its flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false there): it starts the pthread
 * workers from Blob URLs, which Node's worker_threads reject. {@link threadedWasmFactory} starts them
 * from a real file instead.
 */
export async function threadedWasmUnavailable(): Promise<string | null> {
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is unavailable";
  if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) return "the threaded build needs WebAssembly SIMD";
  if (!existsSync(workerPath())) return `the worker script ${workerPath()} is missing`;
  return null;
}

/**
 * A backend factory for tfjs's `wasm` backend that runs its multithreaded SIMD build with `threads`
 * XNNPACK threads (clamped to 1–8). The backend is tfjs's own BackendWasm with all its kernels.
 */
export function threadedWasmFactory(threads: number): () => Promise<tf.KernelBackend> {
  const count = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  return async () => {
    const require = createRequire(import.meta.url);
    const script = require.resolve(THREADED_SCRIPT);
    const factory = require(script) as ThreadedFactory;
    wasm.setThreadsCount(count);
    // The C++ side caps the pool at half the logical CPUs (it assumes two hyperthreads per core), read
    // through os.cpus() while the module starts; report enough CPUs for the count asked for.
    const nodeOs = os as unknown as { cpus: () => os.CpuInfo[] };
    const realCpus = nodeOs.cpus;
    const cpus = realCpus();
    if (cpus.length < 2 * count) nodeOs.cpus = () => Array.from({ length: 2 * count }, (_, i) => cpus[i % cpus.length]);
    let module: WasmThreadedModule;
    try {
      module = await factory({
        mainScriptUrlOrBlob: script,
        locateFile: (path, prefix) => (path.endsWith(".worker.js") ? workerPath() : prefix + path),
      });
    } finally {
      nodeOs.cpus = realCpus;
    }
    // The same bridge tfjs's own initialisation sets up.
    module.tfjs = {
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, []),
    };
    // Starts XNNPACK's thread pool: its threads run (and wait for work) in the pool's workers for good.
    const backend = new wasm.BackendWasm(module as unknown as ConstructorParameters<typeof wasm.BackendWasm>[0]);
    // Emscripten keeps a worker referenced while its thread runs, so the pool's idle threads would keep
    // Node from ever exiting; they only wait for the main thread, so let the process end without them.
    for (const worker of module.PThread?.runningWorkers ?? []) worker.unref?.();
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    return backend;
  };
}
