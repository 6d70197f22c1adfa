import * as tf from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { registerTrainingKernels } from "./register-training-kernels";
import { wasmThreadCount } from "./wasm-info";
import { MAX_WASM_THREADS, threadedWasmFactory, threadedWasmUnavailable } from "./wasm-threads";

/** Options for {@link startWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * XNNPACK threads for the wasm backend: 1–8, or `auto` (the default): one per logical CPU that is idle
   * when the backend starts (the CPUs' busy time sampled over 200 ms; at least 1, at most 8). Above 1, the
   * multithreaded SIMD build runs, which tfjs never uses in Node by itself (see `wasm-threads.ts`); if it
   * cannot start, the single-threaded build runs instead, with a warning. Only the first start of the wasm
   * backend in a process can choose. On a 2-vCPU machine, 2 threads made XNNPACK convolutions 1.75× faster
   * while the cores were otherwise idle, but 1.2–2.5× slower while other processes kept them busy (the
   * pool's workers spin and starve the main thread): hence `auto` counts only the idle CPUs.
   */
  threads?: number | "auto";
  /**
   * Folder (ending in a path separator) holding the `.wasm` binaries. Not needed in Node: the backend's
   * Node bundle finds them beside itself in `@tensorflow/tfjs-backend-wasm/dist`. Set it only when this
   * package has been bundled into a single file and the binaries were copied elsewhere.
   */
  wasmPaths?: string;
}

/** What happened when the wasm backend was started; `warnings` say what did not go as asked. */
export type WasmStartResult = { ok: true; warnings: string[] } | { ok: false; error: string };

/**
 * Registers the training kernels and makes the wasm backend the active one.
 * Never throws for a backend that fails to start: tfjs reports that as `false`, returned here as an error.
 */
export async function startWasmBackend(options: WasmBackendOptions = {}): Promise<WasmStartResult> {
  registerTrainingKernels();
  const warnings: string[] = [];
  try {
    const started = tf.findBackend("wasm") != null;
    const threads = options.threads == null || options.threads === "auto" ? await idleCpuThreads() : resolveThreads(options.threads);
    if (typeof options.threads === "number" && threads < Math.floor(options.threads)) {
      warnings.push(`threads: ${options.threads} asked for, using ${threads} (this machine has ${os.availableParallelism()} logical CPUs; at most ${MAX_WASM_THREADS})`);
    }
    if (!started && options.wasmPaths != null) wasm.setWasmPaths(options.wasmPaths);
    if (!started && threads > 1) {
      const threaded = await startThreaded(threads);
      if (threaded === true) return { ok: true, warnings };
      warnings.push(`the multithreaded wasm build could not start (${threaded}); using one thread`);
    } else if (started && options.threads != null && options.threads !== "auto" && wasmThreadCount() !== threads) {
      warnings.push(`the wasm backend already runs with ${wasmThreadCount()} thread(s); threads are chosen at its first start`);
    }
    const ok = await tf.setBackend("wasm");
    if (!ok) return { ok: false, error: "tfjs could not initialise the wasm backend (its warning above says why)" };
    return { ok: true, warnings };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One thread per logical CPU that is idle now: the CPUs' busy time over `sampleMs` (other processes' work;
 * this one waits meanwhile), rounded, at least 1 and at most 8. Where the CPU times are not available (some
 * sandboxes report zeros), one per logical CPU.
 */
export async function idleCpuThreads(sampleMs = 200): Promise<number> {
  const total = (c: os.CpuInfo) => c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  const before = os.cpus();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = os.cpus();
  let idle = 0;
  let all = 0;
  after.forEach((cpu, i) => {
    if (before[i] == null) return;
    idle += cpu.times.idle - before[i].times.idle;
    all += total(cpu) - total(before[i]);
  });
  const cpus = os.availableParallelism();
  const idleCpus = all > 0 ? (idle / all) * after.length : cpus;
  return resolveThreads(Math.min(cpus, Math.floor(idleCpus + 0.25)));
}

/**
 * The thread count for a `threads` option: `auto` here is one per logical CPU; always 1–8 and never more than
 * the machine's logical CPUs (more threads than CPUs only take turns, and XNNPACK's workers spin while they wait).
 */
export function resolveThreads(threads: number | "auto"): number {
  const wanted = threads === "auto" ? os.availableParallelism() : threads;
  if (!Number.isFinite(wanted)) throw new Error(`@gan/backend: threads must be a number or 'auto', got ${threads}`);
  return Math.max(1, Math.min(MAX_WASM_THREADS, os.availableParallelism(), Math.floor(wanted)));
}

/** Starts the multithreaded build in place of tfjs's; on failure puts tfjs's factory back and says why. */
async function startThreaded(threads: number): Promise<true | string> {
  const unavailable = await threadedWasmUnavailable();
  if (unavailable != null) return unavailable;
  const stockFactory = tf.findBackendFactory("wasm");
  tf.removeBackend("wasm");
  const factory = threadedWasmFactory(threads);
  let failure: string | null = null;
  tf.registerBackend(
    "wasm",
    async () => {
      try {
        return await factory();
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error); // tfjs only logs it
        throw error;
      }
    },
    2,
  );
  try {
    if (await tf.setBackend("wasm")) return true;
    failure ??= "tfjs could not initialise it";
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  tf.removeBackend("wasm");
  if (stockFactory != null) tf.registerBackend("wasm", stockFactory, 2);
  return failure ?? "unknown failure";
}
