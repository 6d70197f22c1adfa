import { type UnzipFileInfo, unzipSync } from "fflate";
import { DTYPE_BYTES, type TorchArrays, type TorchDtype, TorchDict, type TorchStateDict, TorchTensor, type TorchValue, allocate, numel } from "./tensor";
import { type StorageRef, unpickle } from "./unpickler";

/** Options of {@link readTorchFile} and {@link readTorchStateDict}. */
export interface ReadTorchOptions {
  /** Names the bytes in errors (a file name, a URL); default `"torch file"`. */
  source?: string;
  /**
   * The most bytes the tensors may take in total once read (views of one storage each get their own copy). The
   * default, twice the file's size plus 64 MiB, admits any ordinary checkpoint and refuses a small file that
   * would expand a storage into gigabytes.
   */
  maxTensorBytes?: number;
}

/** An error reading a `torch.save` file: the message starts with the file's name (`source`). */
export class TorchFileError extends Error {
  override name = "TorchFileError";
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a `torch.save` file (PyTorch 1.6 and later: a zip archive holding `<archive>/data.pkl`, the tensors'
 * storages as `<archive>/data/<key>` and a `version` record) and returns the object it holds, with no Python and
 * without running anything: the pickle is interpreted by a restricted unpickler that knows only what state dicts are
 * made of (tensors, dicts and `OrderedDict`s, lists, tuples, strings, numbers, booleans, `None`).
 *
 * The bytes are untrusted. Everything else is refused with a {@link TorchFileError} whose message starts with
 * `source` and says what was found and what was expected: any other Python global (`os.system`, a model class from
 * `torch.save(model)`), an opcode outside the list, the legacy pre-1.6 format, TorchScript archives, a truncated or
 * corrupt zip, a storage that is missing, of the wrong size or too small for its view, a big-endian file. Tensor
 * views (storage offsets, transposed or sliced strides) are gathered into dense row-major arrays; tensors sharing a
 * storage each get their own copy.
 */
export function readTorchFile(bytes: Uint8Array, options: ReadTorchOptions = {}): TorchValue {
  const source = options.source ?? "torch file";
  const fail = (why: string): never => {
    throw new TorchFileError(`${source}: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${typeof bytes}`);
  if (!LITTLE_ENDIAN_HOST) fail("this reader needs a little-endian machine");
  const format = sniff(bytes);
  if (format !== "zip") fail(format);

  const entries = unzipEntries(bytes, fail);
  const prefix = entries.prefix;
  const pickle = entries.files.get(`${prefix}/data.pkl`);
  if (!pickle) {
    if (entries.names.some((n) => n === `${prefix}/constants.pkl` || n.startsWith(`${prefix}/code/`))) {
      fail("this is a TorchScript archive (torch.jit.save), not a torch.save file; save the state dict with torch.save(model.state_dict(), path)");
    }
    fail(`a zip archive without ${prefix}/data.pkl, so not a torch.save file (entries: ${entries.names.slice(0, 5).join(", ")}${entries.names.length > 5 ? ", ..." : ""})`);
  }
  const versionRecord = entries.files.get(`${prefix}/version`) ?? entries.files.get(`${prefix}/.data/version`);
  if (!versionRecord) fail(`no ${prefix}/version record: not a torch.save archive, or a damaged one`);
  const version = new TextDecoder().decode(versionRecord).trim();
  if (!/^\d{1,4}$/.test(version) || Number(version) < 1) fail(`${prefix}/version holds '${version.slice(0, 20)}', expected a format version number (PyTorch 1.13 writes 3)`);
  const byteorder = entries.files.get(`${prefix}/byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(byteorder).trim();
    if (order !== "little") fail(`${prefix}/byteorder says '${order.slice(0, 20)}': only little-endian files are read`);
  }

  const storages = new Map<string, { dtype: TorchDtype; array: TorchArrays[TorchDtype] }>();
  const limit = options.maxTensorBytes ?? 2 * bytes.byteLength + 64 * 2 ** 20;
  let materialised = 0;
  const where = `${source}: ${prefix}/data.pkl`;
  const storage = (ref: StorageRef) => {
    const name = `${prefix}/data/${ref.key}`;
    const known = storages.get(ref.key);
    if (known) {
      if (known.dtype !== ref.dtype || known.array.length !== ref.numel) {
        throw new Error(`storage '${ref.key}' is referred to as ${ref.numel} ${ref.dtype} and as ${known.array.length} ${known.dtype}`);
      }
      return known.array;
    }
    const raw = entries.files.get(name);
    if (!raw) throw new Error(`the pickle refers to storage '${ref.key}', but the archive has no ${name}`);
    const width = DTYPE_BYTES[ref.dtype];
    if (raw.byteLength !== ref.numel * width) {
      throw new Error(`${name} has ${raw.byteLength} bytes, the pickle says ${ref.numel} ${ref.dtype} elements (${ref.numel * width} bytes)`);
    }
    const array = typedArray(ref.dtype, raw);
    storages.set(ref.key, { dtype: ref.dtype, array });
    return array;
  };

  try {
    return unpickle(pickle as Uint8Array, {
      where,
      rebuildTensor(ref, offset, size, stride, requiresGrad) {
        const count = numel(size);
        materialised += count * DTYPE_BYTES[ref.dtype];
        if (materialised > limit) {
          throw new Error(`the tensors would take more than ${limit} bytes (maxTensorBytes); tensor of shape [${size}] on storage '${ref.key}'`);
        }
        return gather(ref, storage(ref), offset, size, stride, requiresGrad);
      },
    });
  } catch (e) {
    // The unpickler's errors already name the file and entry.
    throw e instanceof TorchFileError ? e : new TorchFileError((e as Error).message, { cause: e });
  }
}

/** "zip", or why `bytes` are not a file this reader takes. */
function sniff(bytes: Uint8Array): string {
  const b = bytes;
  if (b.byteLength >= 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6))) return "zip";
  if (b.byteLength === 0) return "the file is empty";
  if (b[0] === 0x80 && b[1] >= 2 && b[1] <= 5) {
    return (
      "this is the legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), or a bare pickle; " +
      "it is not read: load it in PyTorch and save it again with torch.save(obj, path)"
    );
  }
  if (b.byteLength > 262 && String.fromCharCode(...b.subarray(257, 262)) === "ustar") {
    return "this is the tar-based torch.save format of PyTorch before 0.4, which is not read; load it in PyTorch and save it again";
  }
  if (b.byteLength >= 9 && b[8] === 0x7b) {
    return "this looks like a safetensors file, not a torch.save file; read it with decodeSafetensors or loadWeights of @gan/layers";
  }
  return `not a torch.save file: it starts with bytes ${[...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ")}, a torch.save zip archive with 'PK'`;
}

/**
 * The entries of the zip archive that a torch.save file reads: `<prefix>/data.pkl`, `version`, `byteorder` and
 * `data/*`, where the prefix (the archive's name) is the first entry's top folder, as PyTorch takes it.
 */
function unzipEntries(bytes: Uint8Array, fail: (why: string) => never): { prefix: string; names: string[]; files: Map<string, Uint8Array> } {
  const names: string[] = [];
  let prefix: string | undefined;
  let expanded = 0;
  const expandLimit = 4 * bytes.byteLength + 64 * 2 ** 20;
  const wanted = (info: UnzipFileInfo): boolean => {
    names.push(info.name);
    if (prefix === undefined) {
      const slash = info.name.indexOf("/");
      if (slash <= 0) fail(`the zip archive's first entry '${info.name.slice(0, 80)}' is not inside a folder, as torch.save writes it`);
      prefix = info.name.slice(0, slash);
    }
    const rest = info.name.startsWith(`${prefix}/`) ? info.name.slice(prefix.length + 1) : undefined;
    if (rest === undefined || !(rest === "data.pkl" || rest === "version" || rest === ".data/version" || rest === "byteorder" || /^data\/[^/]+$/.test(rest))) return false;
    if (info.compression !== 0 && info.compression !== 8) fail(`${info.name} uses zip compression method ${info.compression} (torch.save stores its entries uncompressed)`);
    if (info.compression === 0 && info.size !== info.originalSize) fail(`${info.name} is stored with ${info.size} bytes but claims ${info.originalSize} (corrupt zip)`);
    expanded += info.originalSize;
    if (info.compression === 8 && expanded > expandLimit) fail(`the compressed entries would expand to more than ${expandLimit} bytes`);
    return true;
  };
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(bytes, { filter: wanted });
  } catch (e) {
    if (e instanceof TorchFileError) throw e;
    return fail(`not a readable zip archive: truncated or corrupt (${(e as Error).message})`);
  }
  if (prefix === undefined) return fail("an empty zip archive, not a torch.save file");
  const files = new Map<string, Uint8Array>();
  for (const name of Object.keys(raw)) files.set(name, raw[name]);
  return { prefix, names, files };
}

/** The little-endian bytes of a storage as the typed array of `dtype`, in memory of its own (aligned). */
function typedArray(dtype: TorchDtype, raw: Uint8Array): TorchArrays[TorchDtype] {
  const out = allocate(dtype, raw.byteLength / DTYPE_BYTES[dtype]);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(raw);
  return out;
}

/** The tensor of `size`/`stride` at `offset` in `array` (a storage of `ref.numel` elements), made dense. */
function gather(ref: StorageRef, array: TorchArrays[TorchDtype], offset: number, size: number[], stride: number[], requiresGrad: boolean): TorchTensor {
  const count = numel(size);
  const out = allocate(ref.dtype, count);
  if (count > 0) {
    const last = offset + size.reduce((s, d, i) => s + (d - 1) * stride[i], 0);
    if (last >= ref.numel) {
      throw new Error(
        `a tensor of size (${size}) with stride (${stride}) at offset ${offset} reaches element ${last} of storage '${ref.key}', which has ${ref.numel} (out of bounds)`,
      );
    }
    if (isContiguous(size, stride)) {
      (out as Uint8Array).set((array as Uint8Array).subarray(offset, offset + count));
    } else {
      // An odometer over the indices, the last dimension fastest.
      const index = new Array<number>(size.length).fill(0);
      let at = offset;
      for (let i = 0; i < count; i++) {
        (out as Uint8Array)[i] = (array as Uint8Array)[at];
        for (let d = size.length - 1; d >= 0; d--) {
          if (++index[d] < size[d]) {
            at += stride[d];
            break;
          }
          at -= (size[d] - 1) * stride[d];
          index[d] = 0;
        }
      }
    }
  }
  return new TorchTensor(ref.dtype, size, out, { requiresGrad });
}

/** Whether `stride` is the row-major stride of `size` (dimensions of size 1 may have any stride). */
function isContiguous(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/** Options of {@link readTorchStateDict}. */
export interface ReadTorchStateDictOptions extends ReadTorchOptions {
  /**
   * The entry of a dict of state dicts to take (`"generator"` of `{"generator": G.state_dict(), ...}`); without it
   * the file's top-level object must be the state dict.
   */
  key?: string;
}

/**
 * Reads a `torch.save` file holding a state dict (`torch.save(model.state_dict(), path)`), or, with `key`, a dict
 * of them, and returns it as a flat {@link TorchStateDict}: names to tensors in the file's order. Errors name the
 * file, the missing key (with the keys there are) or the first entry that is not a tensor. See
 * {@link readTorchFile} for what is read and refused.
 */
export function readTorchStateDict(bytes: Uint8Array, options: ReadTorchStateDictOptions = {}): TorchStateDict {
  const source = options.source ?? "torch file";
  const value = readTorchFile(bytes, options);
  if (options.key === undefined) return asTorchStateDict(value, source);
  if (!(value instanceof TorchDict)) throw new TorchFileError(`${source}: holds ${describeValue(value)}, not a dict with an entry '${options.key}'`);
  if (!value.has(options.key)) throw new TorchFileError(`${source}: has no entry '${options.key}' (its keys: ${keyList(value)})`);
  return asTorchStateDict(value.get(options.key) as TorchValue, `${source}: entry '${options.key}'`);
}

/**
 * `value` as a flat state dict: a dict whose keys are all strings and values all tensors. Throws a
 * {@link TorchFileError} starting with `where` otherwise (naming the first entry that is not a tensor).
 */
export function asTorchStateDict(value: TorchValue, where: string): TorchStateDict {
  if (!(value instanceof TorchDict)) throw new TorchFileError(`${where}: holds ${describeValue(value)}, expected a state dict (names to tensors)`);
  const out: TorchStateDict = Object.create(null);
  for (const [key, v] of value) {
    if (typeof key !== "string") throw new TorchFileError(`${where}: has the key ${String(key)}, which is not a name; expected a state dict (names to tensors)`);
    if (!(v instanceof TorchTensor)) {
      const hint = v instanceof TorchDict ? `; pick the state dict inside it by its key (the keys: ${keyList(value)})` : "";
      throw new TorchFileError(`${where}: '${key}' is ${describeValue(v)}, expected a tensor as in a state dict${hint}`);
    }
    out[key] = v;
  }
  return out;
}

/** Whether `value` is a non-empty flat state dict (string keys, tensor values). */
export function isTorchStateDict(value: TorchValue): value is TorchDict {
  if (!(value instanceof TorchDict) || value.size === 0) return false;
  for (const [key, v] of value) if (typeof key !== "string" || !(v instanceof TorchTensor)) return false;
  return true;
}

/** A short description of a value for messages: `a dict of 3 entries`, `a float32 tensor [16, 1, 4, 4]`... */
export function describeValue(value: TorchValue): string {
  if (value instanceof TorchTensor) return `a ${value.dtype} tensor [${value.shape}]`;
  if (value instanceof TorchDict) return `${value.type === "OrderedDict" ? "an OrderedDict" : "a dict"} of ${value.size} entries`;
  if (Array.isArray(value)) return `${Object.isFrozen(value) ? "a tuple" : "a list"} of ${value.length} items`;
  if (value === null) return "None";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  return `the ${typeof value === "boolean" ? "bool" : typeof value === "number" ? "number" : "int"} ${String(value)}`;
}

function keyList(dict: TorchDict): string {
  const keys = [...dict.keys()].map((k) => (typeof k === "string" ? `'${k}'` : String(k)));
  return keys.length === 0 ? "none" : keys.length > 10 ? `${keys.slice(0, 10).join(", ")}, ...` : keys.join(", ");
}
