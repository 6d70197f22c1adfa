import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";

/** Options of {@link saveWeights}. */
export interface SaveWeightsOptions {
  /** String metadata stored in the file's header (`format: "pt"` is added unless given). */
  metadata?: Record<string, string>;
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** When true (default), a tensor the module lacks or a parameter/buffer the file lacks is an error. */
  strict?: boolean;
}

/**
 * Writes `module`'s state dict (parameters and buffers, PyTorch names such as `layer1.0.weight_orig`) to `path`
 * as safetensors. int32 tensors (e.g. BatchNorm's `num_batches_tracked`) are stored as I64, PyTorch's type, so
 * `tools/convert_pth.py --to-pth` yields a checkpoint the reference model loads. The file is written to a
 * temporary name beside `path`, flushed and renamed, so a crash never leaves a half-written `path`. Node only.
 */
export async function saveWeights(module: Module, path: string, options: SaveWeightsOptions = {}): Promise<void> {
  // Imported here, not at the top, so that the package still bundles for the browser.
  const fs = await import("node:fs/promises");
  const state = module.stateDict();
  const int64 = Object.keys(state).filter((name) => state[name].dtype === "int32");
  const bytes = encodeSafetensors(state, { metadata: { format: "pt", ...options.metadata }, int64 });
  const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    const file = await fs.open(tmp, "w");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`saveWeights: cannot write '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Loads the safetensors file at `path` into `module`'s parameters and buffers, matching tensors by their
 * PyTorch state-dict names, and returns the file's metadata. The file may come from {@link saveWeights} or
 * from a PyTorch checkpoint converted by `tools/convert_pth.py`. Throws an error naming the file and every
 * missing, unexpected (both only when `strict`) or mis-shaped tensor; the module is unchanged when it throws.
 * Node only.
 */
export async function loadWeights(
  module: Module,
  path: string,
  options: LoadWeightsOptions = {},
): Promise<Record<string, string>> {
  const fs = await import("node:fs/promises");
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new Error(`loadWeights: cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  try {
    module.loadStateDict(tensors, { strict: options.strict ?? true });
  } catch (e) {
    throw new Error(`loadWeights: '${path}' does not fit the module. ${(e as Error).message}`, { cause: e });
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return metadata;
}
