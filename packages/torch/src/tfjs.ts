import type { TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { TorchFileError } from "./read";
import { type TorchDtype, type TorchStateDict, TorchTensor } from "./tensor";

/** Options of {@link torchStateDictToTensors} and {@link loadTorchStateDict}. */
export interface TorchToTensorsOptions {
  /** Names the state dict in errors (the file, and the entry: `model.pth: entry 'generator'`). */
  source?: string;
}

const FLOATS: readonly TorchDtype[] = ["float32", "float64", "float16", "bfloat16"];
const INTEGERS: readonly TorchDtype[] = ["int64", "int32", "int16", "int8", "uint8"];

/**
 * A state dict read from a `.pth` file as tfjs tensors by name, the form `Module.loadStateDict` of `@gan/layers`
 * (and any `TrainableModule` of `@gan/spec`) takes: float types become float32, integer types int32 (an int64
 * value beyond int32, which tfjs lacks, is an error naming the tensor), bool stays bool. Every value is converted
 * before the first tensor is made, so an error leaks nothing. The caller owns (and disposes) the tensors.
 */
export function torchStateDictToTensors(state: TorchStateDict, options: TorchToTensorsOptions = {}): Record<string, tf.Tensor> {
  const source = options.source ?? "state dict";
  const converted = Object.entries(state).map(([name, t]) => ({ name, t, ...tfjsValues(name, t, source) }));
  const out: Record<string, tf.Tensor> = Object.create(null);
  for (const { name, t, values, dtype } of converted) out[name] = tf.tensor(values, [...t.shape], dtype);
  return out;
}

function tfjsValues(name: string, t: TorchTensor, source: string): { values: Float32Array | Int32Array | Uint8Array; dtype: "float32" | "int32" | "bool" } {
  if (t.dtype === "bool") return { values: (t.data as Uint8Array).slice(), dtype: "bool" };
  if (FLOATS.includes(t.dtype)) return { values: t.dtype === "float32" ? (t.data as Float32Array).slice() : t.toFloat32(), dtype: "float32" };
  if (t.dtype === "int64") {
    const values = new Int32Array(t.size);
    (t.data as BigInt64Array).forEach((v, i) => {
      if (v > 2147483647n || v < -2147483648n) throw new TorchFileError(`${source}: tensor '${name}' holds ${v}, beyond int32 (tfjs has no int64)`);
      values[i] = Number(v);
    });
    return { values, dtype: "int32" };
  }
  return { values: Int32Array.from(t.data as Int32Array), dtype: "int32" };
}

/** Options of {@link tensorsToTorchStateDict} and {@link torchStateDictOf}. */
export interface TensorsToTorchOptions {
  /**
   * Which int32 tensors to store as int64, PyTorch's integer type (BatchNorm's `num_batches_tracked` is int64 in
   * PyTorch and int32 in tfjs): `true` (default) all of them, `false` none, or a list of names.
   */
  int64?: boolean | Iterable<string>;
}

/**
 * tfjs tensors by name (a module's `stateDict()`) as a {@link TorchStateDict} for {@link writeTorchFile}: float32
 * stays float32, int32 becomes int64 (see {@link TensorsToTorchOptions.int64}), bool stays bool; the values are
 * copied. Other dtypes are an error naming the tensor.
 */
export function tensorsToTorchStateDict(tensors: Record<string, tf.Tensor>, options: TensorsToTorchOptions = {}): TorchStateDict {
  const wide = options.int64 ?? true;
  const int64 = typeof wide === "boolean" ? undefined : new Set(wide);
  const out: TorchStateDict = Object.create(null);
  for (const [name, t] of Object.entries(tensors)) {
    const values = t.dataSync();
    if (t.dtype === "float32") out[name] = new TorchTensor("float32", t.shape, Float32Array.from(values as Float32Array));
    else if (t.dtype === "int32" && (int64 ? int64.has(name) : wide === true)) {
      out[name] = new TorchTensor("int64", t.shape, BigInt64Array.from(values as Int32Array, (v) => BigInt(v)));
    } else if (t.dtype === "int32") out[name] = new TorchTensor("int32", t.shape, Int32Array.from(values as Int32Array));
    else if (t.dtype === "bool") out[name] = new TorchTensor("bool", t.shape, Uint8Array.from(values as Uint8Array));
    else throw new Error(`tensorsToTorchStateDict: tensor '${name}' has dtype ${t.dtype}, which has no PyTorch counterpart here`);
  }
  return out;
}

/** `module.stateDict()` (parameters and buffers, PyTorch names) as a {@link TorchStateDict}, ready for {@link writeTorchFile}. */
export function torchStateDictOf(module: Pick<TrainableModule, "stateDict">, options: TensorsToTorchOptions = {}): TorchStateDict {
  return tensorsToTorchStateDict(module.stateDict(), options);
}

/** Options of {@link loadTorchStateDict}. */
export interface LoadTorchStateDictOptions extends TorchToTensorsOptions {
  /** When true (default), a tensor the module lacks or one the state dict lacks is an error, as PyTorch's `strict`. */
  strict?: boolean;
}

/**
 * Loads a state dict read from a `.pth` file into `module` (a `Module` of `@gan/layers`, `SaganGenerator`...),
 * matching PyTorch names: `readTorchStateDict` + `loadTorchStateDict` is `model.load_state_dict(torch.load(f))`.
 * Throws a {@link TorchFileError} naming `source` and every missing or unexpected key (when `strict`), every tensor
 * of the wrong shape or of a dtype that cannot hold the module's (a float parameter takes float32, float64, float16
 * or bfloat16; an int32 buffer such as `num_batches_tracked` an integer type) and every float tensor holding NaN or
 * ±Inf. The module is unchanged when it throws.
 */
export function loadTorchStateDict(module: TrainableModule, state: TorchStateDict, options: LoadTorchStateDictOptions = {}): void {
  const source = options.source ?? "state dict";
  const own = module.stateDict();
  const problems: string[] = [];
  for (const [name, t] of Object.entries(state)) {
    if (!Object.hasOwn(own, name)) continue;
    const target = own[name].dtype;
    const fits = target === "float32" ? FLOATS : target === "int32" ? INTEGERS : target === "bool" ? ["bool"] : [];
    if (!fits.includes(t.dtype)) problems.push(`'${name}' is ${t.dtype}, expected ${fits.join(", ") || target} for the module's ${target} tensor`);
  }
  const name = module.constructor?.name ?? "the module";
  if (problems.length > 0) throw new TorchFileError(`${source}: does not fit ${name}:\n  ${problems.join("\n  ")}`);
  const tensors = torchStateDictToTensors(state, { source });
  try {
    module.loadStateDict(tensors, { strict: options.strict ?? true });
  } catch (e) {
    throw new TorchFileError(`${source}: does not fit ${name}. ${(e as Error).message}`, { cause: e });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
