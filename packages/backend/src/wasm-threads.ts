import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { fileURLToPath } from "node:url";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

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
  PThread?: { runningWorkers?: Array<{ unref?: () => void }>; unusedWorkers?: Array<{ terminate?: () => void }> };
  HEAPU8: Uint8Array;
}

/** The C bridge of tfjs's wasm module that the thread switch uses. */
interface ThreadsBridge {
  initWithThreadsCount(count: number): void;
  getThreadsCount(): number;
}

/**
 * Switches XNNPACK between the two thread pools of an adaptive start ({@link threadedWasmFactory} with
 * `adaptive`): the pool of `max` threads the backend started with and a pool of 1 (no worker threads). Both are
 * made once at start-up; a switch only repoints tfjs's `threadpool` global, so it is instant, starts no thread,
 * leaks nothing and can happen any number of times. Switch only between steps, never while a kernel runs.
 * Results are the same bit for bit with either pool (XNNPACK splits the work into tiles, never a sum).
 */
export interface WasmThreadSwitch {
  /** The larger pool's threads (the count the backend started with). */
  readonly max: number;
  /** The threads XNNPACK uses now, read from the C side (1 or `max`). */
  threads(): number;
  /** Makes XNNPACK use `count` threads from now on: 1 or `max` (other counts throw). */
  set(count: number): void;
}

let activeSwitch: WasmThreadSwitch | null = null;
let threadedModule: WasmThreadedModule | null = null;

/** Workers of the running threaded build: those running a thread and those idle (for tests). */
export function threadedWasmWorkers(): { running: number; unused: number } | null {
  const pthreads = threadedModule?.PThread;
  return pthreads == null ? null : { running: pthreads.runningWorkers?.length ?? 0, unused: pthreads.unusedWorkers?.length ?? 0 };
}

/** The thread switch of the running adaptive wasm backend, or null (no adaptive start, or it could not be made). */
export function wasmThreadSwitch(): WasmThreadSwitch | null {
  return activeSwitch;
}

/** Bytes at the start of the wasm memory searched for tfjs's `threadpool` global (static data lies below the heap). */
const STATIC_SCAN_BYTES = 4 << 20;

/** Where tfjs's `threadpool` global lives (a word index into the wasm memory) and the 1-thread pool it pointed to. */
interface PoolSlot {
  word: number;
  onePool: number;
}

function memoryWords(module: WasmThreadedModule): Int32Array {
  const buffer = module.HEAPU8.buffer;
  return new Int32Array(buffer, 0, Math.min(buffer.byteLength, STATIC_SCAN_BYTES) >> 2);
}

/**
 * Makes a pool of 1 thread (no worker threads) and finds tfjs's `threadpool` global, a pointer in the module's static
 * data that the wasm binary does not export. Call it before the backend makes its own pool, while the global is
 * still null: `init_with_threads_count(1)` points it at the new pool, so the word that changed and, written back as
 * null, makes `get_threads_count()` answer -1 (tfjs's "no pool") is the global. Returns why not when no word fits
 * (another tfjs build); nothing is lost then, the backend makes its pool as usual.
 */
function findPoolSlot(module: WasmThreadedModule): PoolSlot | string {
  const tfjs = module.tfjs as unknown as ThreadsBridge;
  if (tfjs.getThreadsCount() !== -1) return "tfjs's thread pool already exists";
  const before = memoryWords(module).slice();
  tfjs.initWithThreadsCount(1);
  const after = memoryWords(module);
  for (let i = 0; i < before.length; i++) {
    const pool = after[i];
    // A pointer to a pool on the heap, stored below it, that was null.
    if (before[i] !== 0 || pool <= 0 || i * 4 >= pool) continue;
    Atomics.store(after, i, 0);
    const emptied = tfjs.getThreadsCount();
    Atomics.store(after, i, pool);
    if (emptied === -1 && tfjs.getThreadsCount() === 1) return { word: i, onePool: pool };
  }
  return "tfjs's thread pool pointer was not found in the wasm memory";
}

/** The switch between the pool the backend made (`max` threads, now in `slot`) and the 1-thread pool. */
function switchFor(module: WasmThreadedModule, slot: PoolSlot, max: number): WasmThreadSwitch | string {
  const tfjs = module.tfjs as unknown as ThreadsBridge;
  const maxPool = Atomics.load(memoryWords(module), slot.word);
  if (tfjs.getThreadsCount() !== max || maxPool === slot.onePool) return `the backend runs ${tfjs.getThreadsCount()} threads, not ${max}`;
  const pools = new Map<number, number>([
    [max, maxPool],
    [1, slot.onePool],
  ]);
  return {
    max,
    threads: () => tfjs.getThreadsCount(),
    set(count: number) {
      const pool = pools.get(count);
      if (pool === undefined) throw new Error(`@gan/backend: the wasm thread switch has pools of 1 and ${max} threads, not ${count}`);
      Atomics.store(memoryWords(module), slot.word, pool);
    },
  };
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
 *
 * With `adaptive`, it also makes a 1-thread pool beside the `threads` one and a {@link WasmThreadSwitch} between
 * them ({@link wasmThreadSwitch}); `onSwitchFailure` hears why when that cannot be done (the backend then runs
 * `threads` threads, fixed).
 */
export function threadedWasmFactory(
  threads: number,
  options: { adaptive?: boolean; onSwitchFailure?: (why: string) => void } = {},
): () => Promise<tf.KernelBackend> {
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
    // Before the backend makes its pool: a 1-thread pool to switch to, and where the pool pointer lives.
    const slot = options.adaptive && count > 1 ? findPoolSlot(module) : null;
    // Starts XNNPACK's thread pool: its threads run (and wait for work) in the pool's workers for good.
    const backend = new wasm.BackendWasm(module as unknown as ConstructorParameters<typeof wasm.BackendWasm>[0]);
    // Emscripten keeps a worker referenced while its thread runs, so the pool's idle threads would keep
    // Node from ever exiting; they only wait for the main thread, so let the process end without them.
    for (const worker of module.PThread?.runningWorkers ?? []) worker.unref?.();
    // The build pre-spawns 8 workers whatever the count, each holding a JS engine and the compiled module. The
    // pools are made now and no thread starts later (the thread switch only repoints the pool), so those not
    // running a thread are let go: 54 MB less peak RSS for a DCGAN run on 2 threads. (Should a thread ever be
    // asked for later, Emscripten spawns a worker for it then.)
    for (const worker of module.PThread?.unusedWorkers?.splice(0) ?? []) worker.terminate?.();
    threadedModule = module;
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    if (slot != null) {
      const made = typeof slot === "string" ? slot : switchFor(module, slot, count);
      if (typeof made === "string") options.onSwitchFailure?.(made);
      else activeSwitch = made;
    }
    return backend;
  };
}
