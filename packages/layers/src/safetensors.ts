import * as tf from "@tensorflow/tfjs-core";

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a
 * JSON header `{name: {dtype, shape, data_offsets}, __metadata__?}` and the raw little-endian tensor bytes.
 * PyTorch, Python and the browser all read it, and it cannot carry code.
 */

/** Tensors by name plus the file's string metadata. */
export interface SafetensorsContent {
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
}

/** Options for {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** String metadata stored in the header's `__metadata__`. */
  metadata?: Record<string, string>;
  /** Names of int32 tensors to store as I64 (PyTorch's integer type, e.g. BatchNorm's `num_batches_tracked`). */
  int64?: Iterable<string>;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Serialises tensors to safetensors bytes. float32 → F32, int32 → I32 (or I64 when listed), bool → BOOL. */
export function encodeSafetensors(tensors: Record<string, tf.Tensor>, options: EncodeSafetensorsOptions = {}): Uint8Array {
  const int64 = new Set(options.int64 ?? []);
  const header: Record<string, unknown> = {};
  if (options.metadata && Object.keys(options.metadata).length > 0) header.__metadata__ = options.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const values = t.dataSync();
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
 * BOOL bool. `source` names the file in error messages.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsContent {
  if (bytes.byteLength < 8) throw new Error(`${source}: not a safetensors file (${bytes.byteLength} bytes, too short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.byteLength) {
    throw new Error(`${source}: not a safetensors file (header length ${headerLen} exceeds file size ${bytes.byteLength})`);
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new Error(`${source}: not a safetensors file (header is not JSON: ${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const tensors: Record<string, tf.Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const size = shape.reduce((a, b) => a * b, 1);
    const width = BYTES[dtype];
    if (width === undefined) throw new Error(`${source}: tensor '${name}' has unsupported dtype ${dtype}`);
    const [begin, end] = data_offsets;
    if (end - begin !== size * width || dataStart + end > bytes.byteLength) {
      throw new Error(`${source}: tensor '${name}' (${dtype} [${shape}]) has ${end - begin} bytes, expected ${size * width}, or runs past the end of the file`);
    }
    // A copy with its own aligned buffer: Node's Buffer.slice returns a view into a shared pool, so `.buffer`
    // of a slice would expose unrelated bytes.
    const raw = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    const dv = new DataView(raw.buffer);
    let values: Float32Array | Int32Array | Uint8Array;
    let tfDtype: "float32" | "int32" | "bool" = "float32";
    switch (dtype) {
      case "F32":
        values = new Float32Array(raw.buffer);
        break;
      case "F64":
        values = Float32Array.from(new Float64Array(raw.buffer));
        break;
      case "F16":
        values = Float32Array.from({ length: size }, (_, i) => halfToFloat(dv.getUint16(2 * i, true)));
        break;
      case "BF16":
        values = Float32Array.from({ length: size }, (_, i) => bf16ToFloat(dv.getUint16(2 * i, true)));
        break;
      case "I64":
        tfDtype = "int32";
        values = Int32Array.from(new BigInt64Array(raw.buffer), (v) => {
          if (v > 2147483647n || v < -2147483648n) throw new Error(`${source}: tensor '${name}' holds ${v}, beyond int32`);
          return Number(v);
        });
        break;
      case "I32":
        tfDtype = "int32";
        values = new Int32Array(raw.buffer);
        break;
      case "I16":
        tfDtype = "int32";
        values = Int32Array.from(new Int16Array(raw.buffer));
        break;
      case "I8":
        tfDtype = "int32";
        values = Int32Array.from(new Int8Array(raw.buffer));
        break;
      case "U8":
        tfDtype = "int32";
        values = Int32Array.from(raw);
        break;
      default:
        tfDtype = "bool";
        values = raw;
    }
    tensors[name] = tf.tensor(values, shape, tfDtype);
  }
  return { tensors, metadata };
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
