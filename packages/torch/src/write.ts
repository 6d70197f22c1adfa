import { zipSync } from "fflate";
import { STORAGE_TYPES, TorchDict, type TorchKey, TorchTensor, type TorchValue } from "./tensor";

/**
 * What {@link writeTorchFile} takes: a {@link TorchValue}, or plain objects and `Map`s standing for dicts (an
 * object whose values are all tensors is written as an `OrderedDict`, as `state_dict()` returns; other objects and
 * `Map`s as plain dicts; a {@link TorchDict} keeps its type and attributes).
 */
export type TorchWritable =
  | TorchValue
  | readonly TorchWritable[]
  | ReadonlyMap<TorchKey, TorchWritable>
  | { readonly [key: string]: TorchWritable };

/** Options of {@link writeTorchFile}. */
export interface WriteTorchOptions {
  /** The folder inside the zip archive (PyTorch takes the file's name; any name loads). Default `"archive"`. */
  archiveName?: string;
}

/** The zip entries' timestamp: fixed, so that the same object always gives the same bytes. */
const MTIME = new Date(2000, 0, 1, 0, 0, 0);
/** PyTorch aligns each storage's bytes to 64 in the file (what `torch.load(mmap=True)` of PyTorch 2 relies on). */
const ALIGNMENT = 64;
/** The extra-field id PyTorch pads with ("FB"). */
const PADDING_FIELD = 0x4246;

/**
 * Serialises `value` as `torch.save` does (PyTorch's zip format, pickle protocol 2, uncompressed entries, each
 * storage aligned to 64 bytes) so that `torch.load(path)` in PyTorch 1.6 and later reads it; state dicts also with
 * `weights_only=True` (PyTorch 1.13's weights-only unpickler refuses Python floats in any file).
 * `writeTorchFile({ generator: g, discriminator: d })` with state dicts from {@link tensorsToTorchStateDict} loads
 * with `G.load_state_dict(torch.load(path)["generator"])`.
 *
 * Each tensor gets its own storage (a tensor object referenced twice is written once, and PyTorch sees one
 * tensor). Numbers that are integers are written as Python `int`, others as `float`; bigints as `int`; arrays as
 * lists, frozen arrays (the reader's tuples) as tuples; lists and dicts met twice are written once. A structure
 * that contains itself, an integer beyond 2^53 given as a number, anything outside {@link TorchWritable} is an
 * error naming where it is. The output is the same for the same input (fixed timestamps).
 */
export function writeTorchFile(value: TorchWritable, options: WriteTorchOptions = {}): Uint8Array {
  const archive = options.archiveName ?? "archive";
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(archive)) {
    throw new Error(`writeTorchFile: archiveName '${archive}' must be 1-100 letters, digits, '_', '.' or '-' (not starting with '.' or '-')`);
  }
  const pickler = new Pickler();
  pickler.dump(value);
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0; mtime: Date; extra?: Record<number, Uint8Array> }]> = {};
  let offset = 0;
  const add = (name: string, data: Uint8Array, align: boolean) => {
    const path = `${archive}/${name}`;
    const nameBytes = new TextEncoder().encode(path).byteLength;
    let extra: Record<number, Uint8Array> | undefined;
    if (align) {
      let pad = (ALIGNMENT - ((offset + 30 + nameBytes) % ALIGNMENT)) % ALIGNMENT;
      if (pad > 0 && pad < 4) pad += ALIGNMENT; // an extra field takes at least its 4-byte header
      if (pad > 0) extra = { [PADDING_FIELD]: new Uint8Array(pad - 4).fill(0x5a) };
    }
    const padding = extra ? extra[PADDING_FIELD].byteLength + 4 : 0;
    files[path] = [data, { level: 0, mtime: MTIME, ...(extra ? { extra } : {}) }];
    offset += 30 + nameBytes + padding + data.byteLength;
  };
  add("data.pkl", pickler.bytes(), false);
  add("byteorder", new TextEncoder().encode("little"), false);
  pickler.storages.forEach((tensor, i) => {
    const data = tensor.data;
    add(`data/${i}`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), true);
  });
  add("version", new TextEncoder().encode("3\n"), false);
  return zipSync(files as Parameters<typeof zipSync>[0]);
}

/** Pickle opcodes the writer uses. */
const OP = {
  PROTO: 0x80,
  STOP: 0x2e,
  MARK: 0x28,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  APPENDS: 0x65,
  BINUNICODE: 0x58,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  BINFLOAT: 0x47,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  NONE: 0x4e,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  GLOBAL: 0x63,
  REDUCE: 0x52,
  BUILD: 0x62,
  BINPERSID: 0x51,
} as const;

/** A protocol-2 pickler of {@link TorchWritable} values, with PyTorch's tensor layout. */
class Pickler {
  /** The tensors to store, in storage-key order. */
  readonly storages: TorchTensor[] = [];
  private out = new Uint8Array(1024);
  private length = 0;
  private readonly memo = new Map<unknown, number>();
  private readonly open = new Set<object>();

  dump(value: TorchWritable): void {
    this.byte(OP.PROTO, 2);
    this.value(value, "the value");
    this.byte(OP.STOP);
  }

  bytes(): Uint8Array {
    return this.out.slice(0, this.length);
  }

  private value(v: TorchWritable, path: string): void {
    if (v === null || v === undefined) {
      if (v === undefined) throw new Error(`writeTorchFile: ${path} is undefined (use null for None)`);
      this.byte(OP.NONE);
    } else if (typeof v === "boolean") this.byte(v ? OP.NEWTRUE : OP.NEWFALSE);
    else if (typeof v === "number") this.number(v, path);
    else if (typeof v === "bigint") this.long(v);
    else if (typeof v === "string") this.string(v);
    else if (v instanceof TorchTensor) this.tensor(v);
    else if (typeof v === "object") {
      if (this.open.has(v)) throw new Error(`writeTorchFile: ${path} contains itself`);
      // A list or dict met again is referred to (as pickle does), so shared structure is written once.
      const memoized = this.memo.get(v);
      if (memoized !== undefined) {
        this.get(memoized);
        return;
      }
      this.open.add(v);
      if (Array.isArray(v) && Object.isFrozen(v)) this.pythonTuple(v as readonly TorchWritable[], path, v);
      else if (Array.isArray(v)) this.list(v as readonly TorchWritable[], path, v);
      else if (v instanceof Map) this.dict(v, v instanceof TorchDict ? v.type : "dict", path, v, v instanceof TorchDict ? v.attributes : undefined);
      else if (ArrayBuffer.isView(v)) throw new Error(`writeTorchFile: ${path} is a ${v.constructor.name}; wrap it in a TorchTensor`);
      else {
        const entries = Object.entries(v as Record<string, TorchWritable>);
        const stateDict = entries.length > 0 && entries.every(([, x]) => x instanceof TorchTensor);
        this.dict(new Map(entries), stateDict ? "OrderedDict" : "dict", path, v);
      }
      this.open.delete(v);
    } else throw new Error(`writeTorchFile: ${path} is a ${typeof v}, which a torch file cannot hold`);
  }

  private number(v: number, path: string): void {
    if (Number.isInteger(v)) {
      if (v >= 0 && v < 256) this.byte(OP.BININT1, v);
      else if (v >= 0 && v < 65536) {
        this.byte(OP.BININT2);
        this.u16(v);
      } else if (v >= -(2 ** 31) && v < 2 ** 31) {
        this.byte(OP.BININT);
        this.u32(v >>> 0);
      } else if (Number.isSafeInteger(v)) this.long(BigInt(v));
      else throw new Error(`writeTorchFile: ${path} is ${v}, an integer beyond 2^53 as a number; pass it as a bigint`);
    } else {
      this.byte(OP.BINFLOAT);
      this.reserve(8);
      new DataView(this.out.buffer).setFloat64(this.length, v, false);
      this.length += 8;
    }
  }

  private long(v: bigint): void {
    // Little-endian two's complement, as short as the sign allows.
    const bytes: number[] = [];
    let n = v;
    for (;;) {
      const b = Number(n & 0xffn);
      bytes.push(b);
      n >>= 8n;
      if ((n === 0n && !(b & 0x80)) || (n === -1n && b & 0x80)) break;
    }
    if (bytes.length > 255) throw new Error(`writeTorchFile: the integer ${v} is too large`);
    this.byte(OP.LONG1, bytes.length, ...bytes);
  }

  private string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.byte(OP.BINUNICODE);
    this.u32(bytes.byteLength);
    this.raw(bytes);
  }

  private list(items: readonly TorchWritable[], path: string, original: object): void {
    this.byte(OP.EMPTY_LIST);
    this.put(original);
    if (items.length === 0) return;
    this.byte(OP.MARK);
    for (let i = 0; i < items.length; i++) this.value(items[i], `${path}[${i}]`);
    this.byte(OP.APPENDS);
  }

  /** A frozen array (what the reader makes of a tuple) as a Python tuple. */
  private pythonTuple(items: readonly TorchWritable[], path: string, original: object): void {
    if (items.length === 0) this.byte(OP.EMPTY_TUPLE);
    else {
      this.byte(OP.MARK);
      for (let i = 0; i < items.length; i++) this.value(items[i], `${path}[${i}]`);
      this.byte(OP.TUPLE);
    }
    this.put(original);
  }

  private dict(
    map: ReadonlyMap<TorchKey, TorchWritable>,
    type: "dict" | "OrderedDict",
    path: string,
    original: object,
    attributes?: ReadonlyMap<string, TorchWritable>,
  ): void {
    if (type === "OrderedDict") {
      this.global("collections", "OrderedDict");
      this.byte(OP.EMPTY_TUPLE, OP.REDUCE);
    } else this.byte(OP.EMPTY_DICT);
    this.put(original);
    if (map.size > 0) {
      this.byte(OP.MARK);
      for (const [key, item] of map) {
        if (!(key === null || ["string", "number", "bigint", "boolean"].includes(typeof key))) {
          throw new Error(`writeTorchFile: ${path} has a key of type ${typeof key} (str, int, bool and None keys are written)`);
        }
        this.value(key, `a key of ${path}`);
        this.value(item, `${path}[${JSON.stringify(String(key))}]`);
      }
      this.byte(OP.SETITEMS);
    }
    if (attributes && attributes.size > 0) {
      this.dict(attributes, "dict", `the attributes of ${path}`, attributes);
      this.byte(OP.BUILD);
    }
  }

  /**
   * `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with the storage as the
   * persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`, as torch.save writes a tensor.
   */
  private tensor(t: TorchTensor): void {
    const memoized = this.memo.get(t);
    if (memoized !== undefined) {
      this.get(memoized);
      return;
    }
    const key = String(this.storages.length);
    this.storages.push(t);
    this.global("torch._utils", "_rebuild_tensor_v2");
    this.byte(OP.MARK, OP.MARK);
    this.string("storage");
    this.global("torch", STORAGE_TYPES[t.dtype]);
    this.string(key);
    this.string("cpu");
    this.number(t.size, "numel");
    this.byte(OP.TUPLE, OP.BINPERSID);
    this.number(0, "offset");
    this.tuple(t.shape);
    const stride: number[] = [];
    let s = 1;
    for (let d = t.shape.length - 1; d >= 0; d--) {
      stride[d] = s;
      s *= t.shape[d];
    }
    this.tuple(stride);
    this.byte(OP.NEWFALSE);
    this.global("collections", "OrderedDict");
    this.byte(OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE);
    this.put(t);
  }

  private tuple(ints: readonly number[]): void {
    if (ints.length === 0) {
      this.byte(OP.EMPTY_TUPLE);
      return;
    }
    this.byte(OP.MARK);
    for (const n of ints) this.number(n, "a size");
    this.byte(OP.TUPLE);
  }

  /** `GLOBAL module\nname\n`, memoized as torch.save's pickler does. */
  private global(module: string, name: string): void {
    const id = `${module}\n${name}`;
    const memoized = this.memo.get(id);
    if (memoized !== undefined) {
      this.get(memoized);
      return;
    }
    this.byte(OP.GLOBAL);
    this.raw(new TextEncoder().encode(`${module}\n${name}\n`));
    this.put(id);
  }

  private put(key: unknown): void {
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) this.byte(OP.BINPUT, index);
    else {
      this.byte(OP.LONG_BINPUT);
      this.u32(index);
    }
  }

  private get(index: number): void {
    if (index < 256) this.byte(OP.BINGET, index);
    else {
      this.byte(OP.LONG_BINGET);
      this.u32(index);
    }
  }

  private reserve(n: number): void {
    if (this.length + n <= this.out.byteLength) return;
    const grown = new Uint8Array(Math.max(this.out.byteLength * 2, this.length + n));
    grown.set(this.out.subarray(0, this.length));
    this.out = grown;
  }

  private byte(...values: number[]): void {
    this.reserve(values.length);
    for (const v of values) this.out[this.length++] = v;
  }

  private u16(v: number): void {
    this.byte(v & 0xff, v >>> 8);
  }

  private u32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.out.set(bytes, this.length);
    this.length += bytes.byteLength;
  }
}
