import os from "node:os";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import { registerTrainingKernels } from "./register-training-kernels";
import { ThreadGovernor } from "./thread-governor";
import { wasmThreadCount } from "./wasm-info";
import { MAX_WASM_THREADS, threadedWasmFactory, threadedWasmUnavailable, wasmThreadSwitch } from "./wasm-threads";

/** Options for {@link startWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * XNNPACK threads for the wasm backend: 1–8 (fixed for the process; more than the logical CPUs is capped, with a
   * warning), or `auto` (the default): the multithreaded build starts with one thread per logical CPU (at most 8)
   * and a second, 1-thread pool, and {@link wasmThreadGovernor} chooses between them while training, from the
   * measured step times, for as long as the run lasts (fed by its `callback`; `gan train` adds it). On a 2-vCPU
   * machine, 2 threads made XNNPACK convolutions 1.75× faster while the cores were otherwise idle, but 1.2–2.5×
   * slower while other processes kept them busy (the pool's workers spin and starve the main thread): no count is
   * right for a whole run on a shared machine. Without the governor's callback, `auto` keeps all the threads.
   *
   * Above 1, the multithreaded SIMD build runs, which tfjs never uses in Node by itself (see `wasm-threads.ts`); if
   * it cannot start, the single-threaded build runs instead, with a warning. Only the first start of the wasm
   * backend in a process can choose.
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

let governor: ThreadGovernor | null = null;

/**
 * The thread governor of the wasm backend when it started with `threads: "auto"` on a machine with 2 or more logical
 * CPUs, else null (explicit `threads`, one CPU, another backend, or the multithreaded build could not start).
 * Add its `callback` to the trainer's callbacks (as `gan train` does): it then switches XNNPACK between all the
 * threads and 1 whenever the other count trains faster, and logs each switch in one line:
 *
 * ```
 * [@gan/backend] threads: 2 → 1 (step 612 ms → 441 ms; other processes are using the CPUs)
 * ```
 *
 * ```ts
 * await selectBackend("auto");
 * const governor = wasmThreadGovernor();
 * await trainRecipe(recipe, { data, runDir, callbacks: governor ? [governor.callback] : [] });
 * ```
 *
 * Switching is instant and changes no result: both thread pools are made when the backend starts, and XNNPACK
 * computes every output the same way whatever the thread count (tested bit for bit).
 */
export function wasmThreadGovernor(): ThreadGovernor | null {
  return governor;
}

/**
 * Registers the training kernels and makes the wasm backend the active one. With `threads: "auto"` (the default)
 * on a machine with more than one logical CPU, also sets up {@link wasmThreadGovernor}; `log` is where it tells
 * its switches (default `console.log`).
 * Never throws for a backend that fails to start: tfjs reports that as `false`, returned here as an error.
 */
export async function startWasmBackend(
  options: WasmBackendOptions & { log?: (message: string) => void } = {},
): Promise<WasmStartResult> {
  registerTrainingKernels();
  const warnings: string[] = [];
  try {
    const started = tf.findBackend("wasm") != null;
    const auto = options.threads == null || options.threads === "auto";
    const threads = resolveThreads(options.threads ?? "auto");
    if (typeof options.threads === "number" && threads < Math.floor(options.threads)) {
      warnings.push(`threads: ${options.threads} asked for, using ${threads} (this machine has ${os.availableParallelism()} logical CPUs; at most ${MAX_WASM_THREADS})`);
    }
    if (!started && options.wasmPaths != null) wasm.setWasmPaths(options.wasmPaths);
    if (!started && threads > 1) {
      const threaded = await startThreaded(threads, auto, (why) => warnings.push(`threads stay at ${threads} for this run: ${why}`));
      if (threaded === true) {
        const threadSwitch = auto ? wasmThreadSwitch() : null;
        if (threadSwitch != null) {
          const log = options.log ?? console.log;
          governor = new ThreadGovernor({ max: threadSwitch.max, setThreads: (n) => threadSwitch.set(n), log });
        }
        return { ok: true, warnings };
      }
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
 *
 * @deprecated `threads: "auto"` no longer uses it: a short sample at start-up decided a whole run from a moment's
 * load. {@link wasmThreadGovernor} decides from step times while training instead.
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
async function startThreaded(threads: number, adaptive: boolean, onSwitchFailure: (why: string) => void): Promise<true | string> {
  const unavailable = await threadedWasmUnavailable();
  if (unavailable != null) return unavailable;
  const stockFactory = tf.findBackendFactory("wasm");
  tf.removeBackend("wasm");
  const factory = threadedWasmFactory(threads, { adaptive, onSwitchFailure });
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
