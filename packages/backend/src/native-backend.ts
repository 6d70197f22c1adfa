import * as tf from "@tensorflow/tfjs-core";
import { type ModuleLoader, isNotFound } from "./load-optional";

/** The two backends that bind libtensorflow, and the npm package each needs. */
export const NATIVE_PACKAGES = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
} as const;

/** A native backend name. */
export type NativeBackendName = keyof typeof NATIVE_PACKAGES;

/** Thrown when a backend was asked for by name but cannot be used; says what to install. */
export class BackendUnavailableError extends Error {
  /** The npm package that provides the backend, if it is a package one can install. */
  readonly packageName: string | undefined;

  constructor(message: string, packageName?: string) {
    super(message);
    this.name = "BackendUnavailableError";
    this.packageName = packageName;
  }
}

/** Outcome of trying a native backend. */
export type NativeStartResult =
  | { ok: true; packageName: string; version: string | undefined }
  | { ok: false; installed: boolean; packageName: string; error: string };

/**
 * Loads `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (each registers tfjs's `tensorflow`
 * backend when loaded) and makes that backend active. Reports, without throwing, whether the package is
 * missing or failed to load or start.
 */
export async function startNativeBackend(name: NativeBackendName, load: ModuleLoader): Promise<NativeStartResult> {
  const packageName = NATIVE_PACKAGES[name];
  let loaded: unknown;
  try {
    loaded = load(packageName);
  } catch (error) {
    const installed = !isNotFound(error, packageName);
    return { ok: false, installed, packageName, error: error instanceof Error ? error.message : String(error) };
  }
  if (tf.findBackendFactory("tensorflow") == null) {
    return { ok: false, installed: true, packageName, error: `${packageName} loaded but registered no 'tensorflow' backend` };
  }
  let ok = false;
  try {
    ok = await tf.setBackend("tensorflow");
  } catch (error) {
    return { ok: false, installed: true, packageName, error: error instanceof Error ? error.message : String(error) };
  }
  if (!ok) return { ok: false, installed: true, packageName, error: "tfjs could not initialise its 'tensorflow' backend" };
  const version = (loaded as { version?: { "tfjs-node"?: string } } | null)?.version?.["tfjs-node"];
  return { ok: true, packageName, version };
}

/** The message for a native backend asked for by name that is not installed. */
export function notInstalledMessage(name: NativeBackendName): string {
  const packageName = NATIVE_PACKAGES[name];
  const gpu =
    name === "tensorflow-gpu"
      ? " It needs Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 (what its libtensorflow 2.9 is built for)."
      : "";
  return (
    `@gan/backend: the '${name}' backend needs ${packageName}, which is not installed. ` +
    `Install it in your project with \`npm install ${packageName}\` (its install script downloads libtensorflow).` +
    `${gpu} Or use the 'auto' or 'wasm' backend, which need nothing more.`
  );
}
