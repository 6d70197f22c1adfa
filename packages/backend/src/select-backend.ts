import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { backendInfo, describeBackend } from "./backend-info";
import { type ModuleLoader, defaultModuleLoader } from "./load-optional";
import {
  BackendUnavailableError,
  NATIVE_PACKAGES,
  type NativeBackendName,
  type NativeStartResult,
  notInstalledMessage,
  startNativeBackend,
} from "./native-backend";
import { type WasmBackendOptions, startWasmBackend } from "./wasm-backend";

/** A backend one can ask {@link selectBackend} for. */
export type BackendName = "auto" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";

/** What {@link selectBackend} chose. */
export interface SelectedBackend {
  /** The backend in this package's terms (`tensorflow-gpu` and `tensorflow` are both tfjs's `tensorflow`). */
  name: Exclude<BackendName, "auto">;
  /** The tfjs backend now active (`tf.getBackend()`). */
  tfjsBackend: string;
  /** Why this one, in a sentence. */
  reason: string;
}

/** Options for {@link selectBackend}. */
export interface SelectBackendOptions extends WasmBackendOptions {
  /** Where to print the choice (default `console.log`). */
  log?: (message: string) => void;
  /** Where to print warnings, e.g. training on the plain cpu backend (default `console.warn`). */
  warn?: (message: string) => void;
  /**
   * How to load the optional native packages. The default requires them as seen from this package, then
   * from the working directory. Tests and unusual setups may replace it.
   */
  loadModule?: ModuleLoader;
}

const CPU_WARNING =
  "the plain cpu backend computes convolution weight gradients at about 0.014 GFLOP/s: one DCGAN " +
  "training step at batch 64 takes many minutes. Fine for inference and tiny tests, not for training.";

const WASM_WHY =
  "wasm runs convolutions and matrix products in XNNPACK (SIMD), and @gan/backend adds the kernels it " +
  "lacks for training; it trains 10–100× faster than the plain cpu backend";

/**
 * Chooses a TensorFlow.js backend, makes it active (`tf.setBackend`) and prints which one and why.
 *
 * - `auto`: `@tensorflow/tfjs-node-gpu` if it loads, else `@tensorflow/tfjs-node`, else `wasm` (with the
 *   training kernels of {@link registerTrainingKernels}); plain `cpu` only if wasm cannot start, with a
 *   warning, because the cpu backend is far too slow to train.
 * - `tensorflow-gpu` / `tensorflow`: that native backend, or a {@link BackendUnavailableError} saying
 *   what to `npm install`.
 * - `wasm` / `cpu`: that embedded backend.
 */
export async function selectBackend(
  name: BackendName = "auto",
  options: SelectBackendOptions = {},
): Promise<SelectedBackend> {
  const log = options.log ?? console.log;
  const warn = options.warn ?? console.warn;
  const load = options.loadModule ?? defaultModuleLoader;
  let chosen: SelectedBackend;
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow":
      chosen = await selectNative(name, load);
      break;
    case "wasm": {
      const started = await startWasmBackend(options);
      if (!started.ok) throw new BackendUnavailableError(`@gan/backend: the wasm backend failed to start: ${started.error}`);
      for (const warning of started.warnings) warn(`[@gan/backend] WARNING: ${warning}`);
      chosen = selected("wasm", `asked for wasm; ${WASM_WHY}`);
      break;
    }
    case "cpu":
      await setBackendOrThrow("cpu");
      chosen = selected("cpu", "asked for cpu");
      warn(`[@gan/backend] WARNING: ${CPU_WARNING}`);
      break;
    case "auto":
      chosen = await selectAuto(options, load, log, warn);
      break;
    default:
      throw new Error(`@gan/backend: unknown backend '${String(name)}' (expected auto, tensorflow-gpu, tensorflow, wasm or cpu)`);
  }
  log(`[@gan/backend] using ${describeBackend(backendInfo())}: ${chosen.reason}`);
  return chosen;
}

async function selectNative(name: NativeBackendName, load: ModuleLoader): Promise<SelectedBackend> {
  const result = await startNativeBackend(name, load);
  if (!result.ok) {
    if (!result.installed) throw new BackendUnavailableError(notInstalledMessage(name), result.packageName);
    throw new BackendUnavailableError(
      `@gan/backend: ${result.packageName} is installed but could not be used: ${result.error}`,
      result.packageName,
    );
  }
  return selected(name, `asked for ${name} (${nativeLabel(result)})`);
}

async function selectAuto(
  options: WasmBackendOptions,
  load: ModuleLoader,
  log: (message: string) => void,
  warn: (message: string) => void,
): Promise<SelectedBackend> {
  const missing: string[] = [];
  for (const native of ["tensorflow-gpu", "tensorflow"] as const) {
    const result = await startNativeBackend(native, load);
    if (result.ok) {
      const fallback = missing.length > 0 ? `; ${missing.join(", ")}` : "";
      return selected(native, `${nativeLabel(result)} is installed: libtensorflow is the fastest backend${fallback}`);
    }
    if (result.installed) {
      log(`[@gan/backend] ${result.packageName} is installed but could not be used (${result.error}); trying the next backend`);
      missing.push(`${result.packageName} failed to load`);
    } else {
      missing.push(`${result.packageName} is not installed`);
    }
  }
  const wasm = await startWasmBackend(options);
  if (wasm.ok) {
    for (const warning of wasm.warnings) warn(`[@gan/backend] WARNING: ${warning}`);
    return selected("wasm", `${missing.join(" and ")}; ${WASM_WHY}`);
  }
  await setBackendOrThrow("cpu");
  warn(
    `[@gan/backend] WARNING: the wasm backend failed to start (${wasm.error}), so the plain cpu backend is ` +
      `used: ${CPU_WARNING} Install ${NATIVE_PACKAGES.tensorflow} or fix wasm to train at a usable speed.`,
  );
  return selected("cpu", `${missing.join(" and ")}, and wasm failed to start (${wasm.error})`);
}

function nativeLabel(result: Extract<NativeStartResult, { ok: true }>): string {
  return result.version != null ? `${result.packageName} ${result.version}` : result.packageName;
}

function selected(name: SelectedBackend["name"], reason: string): SelectedBackend {
  return { name, tfjsBackend: tf.getBackend(), reason };
}

async function setBackendOrThrow(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new BackendUnavailableError(`@gan/backend: tfjs could not initialise the '${name}' backend`);
}
