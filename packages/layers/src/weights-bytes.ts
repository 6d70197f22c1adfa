import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";

/** Options of {@link weightsToBytes} and `saveWeights`. */
export interface SaveWeightsOptions {
  /** String metadata stored in the file's header (`format: "pt"` is added unless given). */
  metadata?: Record<string, string>;
}

/** Options of {@link loadWeightsFromBytes} and `loadWeights`. */
export interface LoadWeightsOptions {
  /** When true (default), a tensor the module lacks or a parameter/buffer the file lacks is an error. */
  strict?: boolean;
}

/**
 * `module`'s state dict (parameters and buffers, PyTorch names such as `layer1.0.weight_orig`) as safetensors
 * bytes. int32 tensors (e.g. BatchNorm's `num_batches_tracked`) are stored as I64, PyTorch's type, so
 * `tools/convert_pth.py --to-pth` yields a checkpoint the reference model loads. Runs anywhere: store the bytes in
 * a file (`saveWeights` of `@gan/layers/node`), IndexedDB or a download.
 */
export function weightsToBytes(module: Module, options: SaveWeightsOptions = {}): Uint8Array {
  const state = module.stateDict();
  const int64 = Object.keys(state).filter((name) => state[name].dtype === "int32");
  return encodeSafetensors(state, { metadata: { format: "pt", ...options.metadata }, int64 });
}

/**
 * Loads safetensors `bytes` into `module`'s parameters and buffers, matching tensors by their PyTorch state-dict
 * names, and returns the file's metadata. `source` names the bytes in errors (a file name, a URL). Throws an
 * error naming the source and every missing, unexpected (both only when `strict`) or mis-shaped tensor; the
 * module is unchanged when it throws.
 */
export function loadWeightsFromBytes(
  module: Module,
  bytes: Uint8Array,
  options: LoadWeightsOptions & { source?: string } = {},
): Record<string, string> {
  const source = options.source ?? "weights";
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  try {
    module.loadStateDict(tensors, { strict: options.strict ?? true });
  } catch (e) {
    throw new Error(`loadWeights: '${source}' does not fit the module. ${(e as Error).message}`, { cause: e });
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return metadata;
}
