import * as tf from "@tensorflow/tfjs-core";
import type { Module } from "./module";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";
import type { SafetensorsDtype } from "./safetensors-header";

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
 * error naming the source and every missing, unexpected (both only when `strict`), mis-shaped or mis-typed tensor
 * (a float32 parameter takes F32, F64, F16 or BF16; an int32 buffer such as `num_batches_tracked` I64, I32, I16, I8
 * or U8) and every float tensor holding NaN or ±Inf; the module is unchanged when it throws. A file that is not
 * valid safetensors is rejected first ({@link decodeSafetensors}).
 */
export function loadWeightsFromBytes(
  module: Module,
  bytes: Uint8Array,
  options: LoadWeightsOptions & { source?: string } = {},
): Record<string, string> {
  const source = options.source ?? "weights";
  const { tensors, dtypes, metadata } = decodeSafetensors(bytes, source);
  try {
    const problems = storedDtypeProblems(module, dtypes);
    if (problems.length > 0) throw new Error(`Error loading state dict into ${module.constructor.name}:\n  ${problems.join("\n  ")}`);
    module.loadStateDict(tensors, { strict: options.strict ?? true });
  } catch (e) {
    throw new Error(`loadWeights: '${source}' does not fit the module. ${(e as Error).message}`, { cause: e });
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return metadata;
}

/** The stored dtypes each tfjs dtype accepts, the usual one first. */
const FITS: Partial<Record<tf.DataType, readonly SafetensorsDtype[]>> = {
  float32: ["F32", "F64", "F16", "BF16"],
  int32: ["I64", "I32", "I16", "I8", "U8"],
  bool: ["BOOL"],
};

/** One line per tensor whose stored dtype cannot hold the module's tensor of the same name. */
function storedDtypeProblems(module: Module, dtypes: Record<string, SafetensorsDtype>): string[] {
  const own = module.stateDict();
  const parameters = new Set(module.namedParameters().map(([name]) => name));
  const problems: string[] = [];
  for (const [name, stored] of Object.entries(dtypes)) {
    if (!Object.hasOwn(own, name)) continue;
    const target = own[name].dtype;
    const fits = FITS[target] ?? [];
    if (fits.includes(stored)) continue;
    const alternatives = fits.length > 1 ? ` (or ${fits.slice(1).join(", ")})` : "";
    const kind = parameters.has(name) ? "parameter" : "buffer";
    problems.push(`'${name}' is stored as ${stored}, expected ${fits[0] ?? target}${alternatives} for ${target === "int32" ? "an" : "a"} ${target} ${kind}`);
  }
  return problems;
}
