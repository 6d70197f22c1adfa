/**
 * Reading and checking a safetensors header: everything the reader knows before it touches a tensor byte. A file
 * is untrusted input, so every field is checked and every error names the file; nothing is allocated beyond the
 * file's own size.
 */

/** Bytes per element of each dtype the reader accepts. */
export const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;

/** A safetensors dtype the reader accepts. */
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** The longest header the reader decodes, as in the Rust `safetensors` crate. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The highest rank and the largest dimension a tensor may have. */
export const MAX_RANK = 32;
export const MAX_DIM = 2 ** 31 - 1;

/** One tensor of the header, checked: its bytes are `data[begin, end)` of the data section. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

/** A checked header: tensors in header order, string metadata, and where the data section starts. */
export interface SafetensorsLayout {
  entries: TensorEntry[];
  metadata: Record<string, string>;
  dataStart: number;
}

const ENTRY_FIELDS = ["dtype", "shape", "data_offsets"];
const CONVERT = "/usr/bin/python3 tools/convert_pth.py IN.pth OUT.safetensors";

/**
 * Reads and checks the header of safetensors `bytes`: the length field, the JSON, every entry's dtype, shape and
 * offsets, and that the tensors tile the data section exactly (no overlap, no gap, no byte past the end, none
 * left over). Throws an `Error` starting with `source` on the first problem.
 */
export function readSafetensorsLayout(bytes: Uint8Array, source: string): SafetensorsLayout {
  const fail = (why: string) => new Error(`${source}: ${why}`);
  const notSafetensors = (why: string) => {
    const pytorch = pytorchFormat(bytes);
    if (pytorch) return fail(`this is a PyTorch checkpoint (${pytorch}), not safetensors; convert it with ${CONVERT}`);
    return fail(`not a safetensors file${why}`);
  };
  if (bytes.byteLength < 8) throw notSafetensors(` (${bytes.byteLength} bytes, too short)`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLen === 0n) throw notSafetensors(" (header length 0)");
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw notSafetensors(` (header length ${headerLen} exceeds the limit of ${MAX_HEADER_BYTES} bytes)`);
  }
  if (8n + headerLen > BigInt(bytes.byteLength)) {
    throw notSafetensors(`, or truncated (header length ${headerLen} exceeds file size ${bytes.byteLength})`);
  }
  const dataStart = 8 + Number(headerLen);
  const header = parseHeader(bytes.subarray(8, dataStart), (why) => notSafetensors(` (${why})`));

  const entries: TensorEntry[] = [];
  const metadata: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") Object.assign(metadata, checkMetadata(value, fail));
    else entries.push(checkEntry(name, value, fail));
  }
  checkTiling(entries, bytes.byteLength - dataStart, bytes.byteLength, fail);
  return { entries, metadata, dataStart };
}

/** "zip" or "pickle" when `bytes` look like a `torch.save` file (zip since PyTorch 1.6, a raw pickle before). */
function pytorchFormat(bytes: Uint8Array): "zip" | "pickle" | undefined {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return "zip";
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] >= 2 && bytes[1] <= 5) return "pickle";
  return undefined;
}

function parseHeader(text: Uint8Array, fail: (why: string) => Error): object {
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(text);
  } catch (e) {
    throw fail(`the header is not UTF-8: ${(e as Error).message}`);
  }
  let header: unknown;
  try {
    // JSON.parse stores a "__proto__" key as an own property, never as the prototype.
    header = JSON.parse(json);
  } catch (e) {
    throw fail(`header is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(header)) throw fail(`the header is ${describeKind(header)}, expected a JSON object of tensors`);
  return header;
}

function checkMetadata(value: unknown, fail: (why: string) => Error): Record<string, string> {
  if (!isObject(value)) throw fail(`__metadata__ must map names to strings; it is ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw fail(`__metadata__ must map names to strings; '${key}' is ${describe(v)}`);
  }
  return value as Record<string, string>;
}

function checkEntry(name: string, value: unknown, fail: (why: string) => Error): TensorEntry {
  if (!isObject(value)) throw fail(`tensor '${name}' is ${describe(value)}, expected {dtype, shape, data_offsets}`);
  for (const key of Object.keys(value)) {
    if (!ENTRY_FIELDS.includes(key)) throw fail(`tensor '${name}' has unknown field '${key}' (expected dtype, shape, data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw fail(`tensor '${name}' has unsupported dtype ${describeDtype(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(", ")})`);
  }
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_DIM)) {
    throw fail(`tensor '${name}' has shape ${describe(shape)}, expected at most ${MAX_RANK} non-negative integers ≤ ${MAX_DIM}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw fail(`tensor '${name}' has data_offsets ${describe(offsets)}, expected [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offsets as [number, number];
  const width = DTYPE_BYTES[dtype as SafetensorsDtype];
  // Each dimension is ≤ 2^31, so the product stays finite; a product beyond 2^53 can never equal a file's size.
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (size * width !== end - begin) {
    throw fail(`tensor '${name}' (${dtype} [${shape}]) has ${end - begin} bytes, expected ${size * width} (${size} elements of ${width} bytes)`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], size, begin, end };
}

/** The tensors must cover the data section exactly once: no overlap (header bytes or another tensor read as weights). */
function checkTiling(entries: TensorEntry[], dataLen: number, fileLen: number, fail: (why: string) => Error): void {
  const last = entries.reduce<TensorEntry | undefined>((a, e) => (a === undefined || e.end > a.end ? e : a), undefined);
  const span = last?.end ?? 0;
  if (last && span > dataLen) {
    throw fail(
      `truncated or corrupt: the file has ${fileLen} bytes, the header promises ${fileLen - dataLen + span} ` +
        `(tensor '${last.name}' ends at byte ${span} of a ${dataLen}-byte data section)`,
    );
  }
  if (span < dataLen) throw fail(`the data section has ${dataLen} bytes, but the tensors span ${span}`);
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: TensorEntry | undefined;
  for (const e of sorted) {
    if (e.begin < at && previous) {
      throw fail(`tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap`);
    }
    if (e.begin > at) throw fail(`bytes [${at}, ${e.begin}] of the data section belong to no tensor`);
    at = e.end;
    previous = e;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function describeDtype(dtype: unknown): string {
  return typeof dtype === "string" ? dtype.slice(0, 40) : String(describe(dtype));
}

/** A short JSON rendering of a header value for messages. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
