import * as tf from "@tensorflow/tfjs-core";
import { type SafetensorsDtype, type TensorEntry, readSafetensorsLayout } from "./safetensors-header";

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a
 * JSON header `{name: {dtype, shape, data_offsets}, __metadata__?}` and the raw little-endian tensor bytes.
 * PyTorch, Python and the browser all read it, and it cannot carry code.
 */

/** Tensors by name plus the file's string metadata. */
export interface SafetensorsContent {
  tensors: Record<string, tf.Tensor>;
  /** Each tensor's dtype as stored in the file (`I8`, `F16`, ...), before conversion to a tfjs dtype. */
  dtypes: Record<string, SafetensorsDtype>;
  metadata: Record<string, string>;
}

export type { SafetensorsDtype } from "./safetensors-header";

/** Options for {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** String metadata stored in the header's `__metadata__`. */
  metadata?: Record<string, string>;
  /** Names of int32 tensors to store as I64 (PyTorch's integer type, e.g. BatchNorm's `num_batches_tracked`). */
  int64?: Iterable<string>;
}

/** Serialises tensors to safetensors bytes. float32 → F32, int32 → I32 (or I64 when listed), bool → BOOL. */
export function encodeSafetensors(tensors: Record<string, tf.Tensor>, options: EncodeSafetensorsOptions = {}): Uint8Array {
  return encodeValues(
    Object.entries(tensors).map(([name, t]) => ({ name, t, values: t.dataSync() })),
    options,
  );
}

/**
 * {@link encodeSafetensors} that downloads the tensors with `await data()`: the same bytes, and what to use where the
 * tensors may live on a GPU (WebGL, WebGPU). A synchronous download stalls the GPU there, and WebGPU's, which goes
 * through a canvas, fails outright in browsers that render WebGPU in software (Chromium's SwiftShader).
 */
export async function encodeSafetensorsAsync(tensors: Record<string, tf.Tensor>, options: EncodeSafetensorsOptions = {}): Promise<Uint8Array> {
  const entries = Object.entries(tensors);
  const values = await Promise.all(entries.map(([, t]) => t.data()));
  return encodeValues(
    entries.map(([name, t], i) => ({ name, t, values: values[i] })),
    options,
  );
}

function encodeValues(entries: Array<{ name: string; t: tf.Tensor; values: tf.DataTypeMap[tf.NumericDataType] }>, options: EncodeSafetensorsOptions): Uint8Array {
  const int64 = new Set(options.int64 ?? []);
  const header: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length > 0) header.__metadata__ = options.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, t, values } of entries) {
    let bytes: Uint8Array;
    let dtype: string;
    if (t.dtype === "float32") {
      dtype = "F32";
      bytes = new Uint8Array(Float32Array.from(values as Float32Array).buffer);
    } else if (t.dtype === "int32" && int64.has(name)) {
      dtype = "I64";
      bytes = new Uint8Array(BigInt64Array.from(values as Int32Array, (v) => BigInt(v)).buffer);
    } else if (t.dtype === "int32") {
      dtype = "I32";
      bytes = new Uint8Array(Int32Array.from(values as Int32Array).buffer);
    } else if (t.dtype === "bool") {
      dtype = "BOOL";
      bytes = Uint8Array.from(values as Uint8Array);
    } else {
      throw new Error(`safetensors: tensor '${name}' has dtype ${t.dtype}, which cannot be stored`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes. F32/F64/F16/BF16 become float32 tensors, integer types int32 (I64 values must fit),
 * BOOL bool; `dtypes` keeps each tensor's stored dtype. `source` names the file in error messages.
 *
 * The bytes are untrusted: the header is checked completely before any tensor is
 * made, so a malformed file (a header that is not a JSON object, bad offsets, shapes or dtypes, a truncated file, a
 * PyTorch checkpoint) throws an `Error` starting with `source` and allocates nothing. Tensor names such as
 * `__proto__` are kept as ordinary names: `tensors`, `dtypes` and `metadata` are objects without a prototype.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsContent {
  const { entries, metadata, dataStart } = readSafetensorsLayout(bytes, source);
  // Every value is converted before the first tensor is made, so a bad value leaks no tensor.
  const converted = entries.map((e) => ({ e, ...toValues(e, bytes.subarray(dataStart + e.begin, dataStart + e.end), source) }));
  const tensors: Record<string, tf.Tensor> = Object.create(null);
  const dtypes: Record<string, SafetensorsDtype> = Object.create(null);
  for (const { e, values, dtype } of converted) {
    tensors[e.name] = tf.tensor(values, e.shape, dtype);
    dtypes[e.name] = e.dtype;
  }
  return { tensors, dtypes, metadata };
}

/** The values of one tensor as the typed array of its tfjs dtype. */
function toValues(
  entry: TensorEntry,
  data: Uint8Array,
  source: string,
): { values: Float32Array | Int32Array | Uint8Array; dtype: "float32" | "int32" | "bool" } {
  // A copy with its own aligned buffer: Node's Buffer.slice returns a view into a shared pool, so `.buffer`
  // of a slice would expose unrelated bytes.
  const raw = new Uint8Array(data);
  const dv = new DataView(raw.buffer);
  const { size, name } = entry;
  switch (entry.dtype) {
    case "F32":
      return { values: new Float32Array(raw.buffer), dtype: "float32" };
    case "F64":
      return { values: Float32Array.from(new Float64Array(raw.buffer)), dtype: "float32" };
    case "F16":
      return { values: Float32Array.from({ length: size }, (_, i) => halfToFloat(dv.getUint16(2 * i, true))), dtype: "float32" };
    case "BF16":
      return { values: Float32Array.from({ length: size }, (_, i) => bf16ToFloat(dv.getUint16(2 * i, true))), dtype: "float32" };
    case "I64":
      return {
        values: Int32Array.from(new BigInt64Array(raw.buffer), (v) => {
          if (v > 2147483647n || v < -2147483648n) throw new Error(`${source}: tensor '${name}' holds ${v}, beyond int32`);
          return Number(v);
        }),
        dtype: "int32",
      };
    case "I32":
      return { values: new Int32Array(raw.buffer), dtype: "int32" };
    case "I16":
      return { values: Int32Array.from(new Int16Array(raw.buffer)), dtype: "int32" };
    case "I8":
      return { values: Int32Array.from(new Int8Array(raw.buffer)), dtype: "int32" };
    case "U8":
      return { values: Int32Array.from(raw), dtype: "int32" };
    case "BOOL":
      return { values: raw, dtype: "bool" };
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bf16ToFloat(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, b << 16);
  return dv.getFloat32(0);
}
