/**
 * A restricted unpickler: it reads the pickles `torch.save` writes for state dicts (protocols 2 to 5) and nothing
 * more. Python's pickle is a small stack machine whose `GLOBAL` + `REDUCE` opcodes call any importable function,
 * which is how a `.pth` file runs code when Python loads it. Here no opcode calls anything: the few globals a state
 * dict needs (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, the storage types...) are names this
 * module interprets itself, and every other global, every opcode outside the list below, a malformed argument or a
 * truncated stream is an error naming the byte where it was found.
 */
import { TORCH_DTYPES, type TorchDtype, TorchDict, type TorchKey, TorchTensor, type TorchValue } from "./tensor";

/** A global the pickle named (`GLOBAL` / `STACK_GLOBAL`), one of {@link ALLOWED_GLOBALS}. */
class PyGlobal {
  constructor(readonly qualified: string) {}
}

/** A storage the pickle referred to (`BINPERSID` of `('storage', torch.FloatStorage, key, location, numel)`). */
export class StorageRef {
  constructor(
    readonly dtype: TorchDtype,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** What a pickle's stack holds while it runs. */
type Item = TorchValue | PyGlobal | StorageRef | readonly Item[];

/** Storage classes by the name `torch.save` pickles (`torch.FloatStorage`) and their dtype. */
const STORAGE_GLOBALS: Readonly<Record<string, TorchDtype>> = {
  "torch.FloatStorage": "float32",
  "torch.DoubleStorage": "float64",
  "torch.HalfStorage": "float16",
  "torch.BFloat16Storage": "bfloat16",
  "torch.LongStorage": "int64",
  "torch.IntStorage": "int32",
  "torch.ShortStorage": "int16",
  "torch.CharStorage": "int8",
  "torch.ByteStorage": "uint8",
  "torch.BoolStorage": "bool",
};

const OBJECT_GLOBALS = ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"];

/** Every global a pickle may name; anything else is refused. */
export const ALLOWED_GLOBALS: readonly string[] = Object.freeze([...OBJECT_GLOBALS, ...Object.keys(STORAGE_GLOBALS)]);

/** What the unpickler needs from the archive around the pickle. */
export interface UnpickleContext {
  /** Names the pickle in errors: `model.pth: archive/data.pkl`. */
  where: string;
  /**
   * The tensor over `count` elements of `storage` from `offset` with `size` and `stride` (a view is gathered);
   * throws when the storage is missing or too small.
   */
  rebuildTensor(storage: StorageRef, offset: number, size: number[], stride: number[], requiresGrad: boolean): TorchTensor;
}

const OP_NAMES: ReadonlyMap<number, string> = new Map([
  [0x28, "MARK"], [0x2e, "STOP"], [0x30, "POP"], [0x31, "POP_MARK"], [0x32, "DUP"], [0x46, "FLOAT"], [0x49, "INT"],
  [0x4a, "BININT"], [0x4b, "BININT1"], [0x4c, "LONG"], [0x4d, "BININT2"], [0x4e, "NONE"], [0x50, "PERSID"],
  [0x51, "BINPERSID"], [0x52, "REDUCE"], [0x53, "STRING"], [0x54, "BINSTRING"], [0x55, "SHORT_BINSTRING"],
  [0x56, "UNICODE"], [0x58, "BINUNICODE"], [0x61, "APPEND"], [0x62, "BUILD"], [0x63, "GLOBAL"], [0x64, "DICT"],
  [0x7d, "EMPTY_DICT"], [0x65, "APPENDS"], [0x67, "GET"], [0x68, "BINGET"], [0x69, "INST"], [0x6a, "LONG_BINGET"],
  [0x6c, "LIST"], [0x5d, "EMPTY_LIST"], [0x6f, "OBJ"], [0x70, "PUT"], [0x71, "BINPUT"], [0x72, "LONG_BINPUT"],
  [0x73, "SETITEM"], [0x74, "TUPLE"], [0x29, "EMPTY_TUPLE"], [0x75, "SETITEMS"], [0x47, "BINFLOAT"], [0x80, "PROTO"],
  [0x81, "NEWOBJ"], [0x82, "EXT1"], [0x83, "EXT2"], [0x84, "EXT4"], [0x85, "TUPLE1"], [0x86, "TUPLE2"],
  [0x87, "TUPLE3"], [0x88, "NEWTRUE"], [0x89, "NEWFALSE"], [0x8a, "LONG1"], [0x8b, "LONG4"], [0x42, "BINBYTES"],
  [0x43, "SHORT_BINBYTES"], [0x8c, "SHORT_BINUNICODE"], [0x8d, "BINUNICODE8"], [0x8e, "BINBYTES8"],
  [0x8f, "EMPTY_SET"], [0x90, "ADDITEMS"], [0x91, "FROZENSET"], [0x92, "NEWOBJ_EX"], [0x93, "STACK_GLOBAL"],
  [0x94, "MEMOIZE"], [0x95, "FRAME"], [0x96, "BYTEARRAY8"], [0x97, "NEXT_BUFFER"], [0x98, "READONLY_BUFFER"],
]);

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** An error of the unpickler, at a byte of the pickle. */
class PickleError extends Error {}

/**
 * Runs the pickle `bytes` (a `torch.save` archive's `data.pkl`) and returns the object it builds. Throws an
 * `Error` whose message starts with `context.where` and the byte offset for anything outside a state dict's needs.
 */
export function unpickle(bytes: Uint8Array, context: UnpickleContext): TorchValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let at = 0; // where the current opcode started
  let stack: Item[] = [];
  const metastack: Item[][] = [];
  const memo = new Map<number, Item>();

  const fail = (why: string): never => {
    throw new PickleError(`${context.where}: byte ${at}: ${why}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.byteLength) fail(`the pickle ends after ${bytes.byteLength} bytes, in the middle of ${opName(bytes[at])} (truncated file?)`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const n = view.getBigUint64(pos - 8, true);
    if (n > BigInt(bytes.byteLength)) fail(`a length of ${n} bytes, beyond the pickle's ${bytes.byteLength}`);
    return Number(n);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const text = (n: number) => {
    const raw = take(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail("a string that is not valid UTF-8");
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("GLOBAL without its end of line (truncated file?)");
    const s = text(end - pos);
    pos++;
    return s;
  };
  const pop = (): Item => {
    if (stack.length === 0) fail(`${opName(bytes[at])} on an empty stack`);
    return stack.pop() as Item;
  };
  const top = (): Item => {
    if (stack.length === 0) fail(`${opName(bytes[at])} on an empty stack`);
    return stack[stack.length - 1];
  };
  const popMark = (): Item[] => {
    if (metastack.length === 0) fail(`${opName(bytes[at])} without a MARK`);
    const items = stack;
    stack = metastack.pop() as Item[];
    return items;
  };
  const put = (index: number) => memo.set(index, top());
  const get = (index: number) => {
    if (!memo.has(index)) fail(`${opName(bytes[at])} of memo entry ${index}, which was never stored`);
    stack.push(memo.get(index) as Item);
  };
  const global = (qualified: string) => {
    if (!ALLOWED_GLOBALS.includes(qualified)) {
      fail(
        `the pickle refers to the global '${qualified}', which a state dict never needs and which is not loaded ` +
          `(only tensors, dicts, lists, tuples, strings, numbers, booleans and None are read; allowed globals: ` +
          `collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the torch.*Storage types). ` +
          `A file of torch.save(model) pickles the model's classes: save model.state_dict() instead`,
      );
    }
    stack.push(new PyGlobal(qualified));
  };
  // A tuple may hold a storage type or a storage (the arguments of a tensor): such a tuple is "impure" and can never
  // become a value of the result.
  const impure = new WeakSet<object>();
  const tuple = (items: Item[]): Item => {
    const t = Object.freeze(items);
    if (items.some((i) => i instanceof PyGlobal || i instanceof StorageRef || (typeof i === "object" && i !== null && impure.has(i)))) impure.add(t);
    return t;
  };
  const value = (item: Item): TorchValue => {
    if (typeof item === "object" && item !== null && impure.has(item)) fail("a tuple holding a storage or a storage type used as a value");
    return asValue(item, fail);
  };
  const setItems = (dict: Item, items: Item[]) => {
    if (!(dict instanceof TorchDict)) return fail(`${opName(bytes[at])} on ${describe(dict)}, expected a dict`);
    if (items.length % 2 !== 0) fail(`${opName(bytes[at])} with an odd number of items (${items.length})`);
    for (let i = 0; i < items.length; i += 2) dict.set(asKey(items[i], fail), value(items[i + 1]));
  };
  const append = (list: Item, items: Item[]) => {
    if (!Array.isArray(list) || Object.isFrozen(list)) return fail(`${opName(bytes[at])} on ${describe(list)}, expected a list`);
    for (const item of items) (list as Item[]).push(value(item));
  };

  for (;;) {
    at = pos;
    if (pos >= bytes.byteLength) fail(`the pickle ends after ${bytes.byteLength} bytes without STOP (truncated file?)`);
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const protocol = u8();
        if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol}; torch.save writes protocol 2 (2 to 5 are read)`);
        break;
      }
      case 0x95: // FRAME: a length hint of protocol 4; the frame's opcodes follow inline.
        u64();
        break;
      case 0x2e: {
        // STOP
        if (metastack.length > 0) fail("STOP inside an unclosed MARK");
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack, expected 1`);
        const result = value(stack[0]);
        checkAcyclic(result, fail);
        return result;
      }
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new TorchDict("dict"));
        break;
      case 0x64: {
        // DICT
        const dict = new TorchDict("dict");
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST (popMark first: it replaces the stack that push would be called on)
        const items = popMark().map((i) => value(i));
        stack.push(items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]) as readonly TorchValue[]);
        break;
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = u32();
        if (n > 64) fail(`an integer of ${n} bytes (at most 64 are read)`);
        stack.push(long(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        append(top(), [value]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL module\nname\n
        const module = line();
        const name = line();
        global(`${module}.${name}`);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL of something other than two strings");
        global(`${module}.${name}`);
        break;
      }
      case 0x51: {
        // BINPERSID
        stack.push(storageRef(pop(), fail));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, context, fail));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(top(), state, fail);
        break;
      }
      default:
        fail(
          OP_NAMES.has(op)
            ? `opcode ${OP_NAMES.get(op)} (0x${hex(op)}) is not read: a state dict saved by torch.save never needs it`
            : `unknown opcode 0x${hex(op)}: not a pickle, or a corrupt one`,
        );
    }
  }
}

/** Rejects a result in which a list or dict contains itself (memo references can build one); iterative. */
function checkAcyclic(root: TorchValue, fail: (why: string) => never): void {
  const done = new WeakSet<object>();
  const open = new WeakSet<object>();
  const work: Array<{ node: object; children: Iterator<TorchValue> }> = [];
  const children = (node: object): Iterator<TorchValue> => {
    if (node instanceof TorchDict) return [...node.values(), ...node.attributes.values()][Symbol.iterator]();
    return (node as TorchValue[])[Symbol.iterator]();
  };
  const enter = (v: TorchValue) => {
    if (typeof v !== "object" || v === null || v instanceof TorchTensor || done.has(v)) return;
    if (open.has(v)) fail("a recursive structure (a list or dict that contains itself), which a state dict never is");
    open.add(v);
    work.push({ node: v, children: children(v) });
  };
  enter(root);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    const next = frame.children.next();
    if (next.done) {
      work.pop();
      open.delete(frame.node);
      done.add(frame.node);
    } else enter(next.value);
  }
}

function hex(op: number): string {
  return op.toString(16).padStart(2, "0");
}

function opName(op: number | undefined): string {
  return op === undefined ? "?" : (OP_NAMES.get(op) ?? `0x${hex(op)}`);
}

/** A little-endian two's-complement integer (LONG1 / LONG4) as a number when it is safe, else a bigint. */
function long(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function describe(item: Item): string {
  if (item instanceof PyGlobal) return `the global ${item.qualified}`;
  if (item instanceof StorageRef) return `storage '${item.key}'`;
  if (item instanceof TorchTensor) return `a ${item.dtype} tensor`;
  if (item instanceof TorchDict) return "a dict";
  if (Array.isArray(item)) return Object.isFrozen(item) ? "a tuple" : "a list";
  if (item === null) return "None";
  return `a ${typeof item}`;
}

/** `item` as a value of the result: globals and storages may only appear inside the constructs that use them. */
function asValue(item: Item, fail: (why: string) => never): TorchValue {
  if (item instanceof PyGlobal) return fail(`the global ${item.qualified} used as a value`);
  if (item instanceof StorageRef) return fail(`storage '${item.key}' used outside a tensor`);
  return item as TorchValue;
}

function asKey(item: Item, fail: (why: string) => never): TorchKey {
  if (item === null || ["string", "number", "bigint", "boolean"].includes(typeof item)) return item as TorchKey;
  return fail(`a dict key that is ${describe(item)} (str, int, bool and None keys are read)`);
}

/** BINPERSID's id: `('storage', torch.FloatStorage, key, location, numel)`, as torch.save writes it. */
function storageRef(pid: Item, fail: (why: string) => never): StorageRef {
  const expected = "expected ('storage', torch.<Type>Storage, key, location, numel)";
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== "storage") return fail(`a persistent id that is not a storage: ${expected}`);
  const [, type, key, location, count] = pid as Item[];
  if (!(type instanceof PyGlobal) || !Object.hasOwn(STORAGE_GLOBALS, type.qualified)) {
    return fail(`a storage of type ${type instanceof PyGlobal ? type.qualified : describe(type)}, ${expected}`);
  }
  if (typeof key !== "string" || typeof location !== "string") return fail(`a storage whose key or location is not a string, ${expected}`);
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) return fail(`storage '${key}' with ${String(count)} elements, ${expected}`);
  return new StorageRef(STORAGE_GLOBALS[type.qualified], key, location, count);
}

/** REDUCE: the allowed globals are interpreted here, never called. */
function reduce(callable: Item, args: Item, context: UnpickleContext, fail: (why: string) => never): Item {
  if (!(callable instanceof PyGlobal)) return fail(`REDUCE of ${describe(callable)}, expected an allowed global`);
  if (!Array.isArray(args) || !Object.isFrozen(args)) return fail(`REDUCE of ${callable.qualified} with ${describe(args)} as arguments, expected a tuple`);
  const a = args as Item[];
  switch (callable.qualified) {
    case "collections.OrderedDict":
      if (a.length !== 0) fail(`collections.OrderedDict called with ${a.length} arguments, expected none (torch.save fills it with SETITEMS)`);
      return new TorchDict("OrderedDict");
    case "torch._utils._rebuild_tensor_v2": {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length !== 6 && a.length !== 7) fail(`_rebuild_tensor_v2 with ${a.length} arguments, expected 6 or 7`);
      const [storage, offset, size, stride, requiresGrad, hooks] = a;
      if (!(storage instanceof StorageRef)) return fail(`_rebuild_tensor_v2 of ${describe(storage)}, expected a storage`);
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) fail(`_rebuild_tensor_v2 with storage offset ${String(offset)}`);
      const dims = intTuple(size, "size", fail);
      const strides = intTuple(stride, "stride", fail);
      if (dims.length !== strides.length) fail(`_rebuild_tensor_v2 with size (${dims}) and stride (${strides}) of different lengths`);
      if (typeof requiresGrad !== "boolean") fail("_rebuild_tensor_v2 with a requires_grad that is not a bool");
      if (!(hooks instanceof TorchDict) || hooks.size > 0) fail("_rebuild_tensor_v2 with backward hooks (only an empty OrderedDict is read)");
      try {
        return context.rebuildTensor(storage, offset as number, dims, strides, false);
      } catch (e) {
        return fail((e as Error).message);
      }
    }
    case "torch._utils._rebuild_parameter": {
      // (data, requires_grad, backward_hooks)
      if (a.length !== 3) fail(`_rebuild_parameter with ${a.length} arguments, expected 3`);
      const [data, requiresGrad, hooks] = a;
      if (!(data instanceof TorchTensor)) return fail(`_rebuild_parameter of ${describe(data)}, expected a tensor`);
      if (typeof requiresGrad !== "boolean") fail("_rebuild_parameter with a requires_grad that is not a bool");
      if (!(hooks instanceof TorchDict) || hooks.size > 0) fail("_rebuild_parameter with backward hooks (only an empty OrderedDict is read)");
      return new TorchTensor(data.dtype, data.shape, data.data, { requiresGrad: requiresGrad as boolean });
    }
    default:
      return fail(`REDUCE of ${callable.qualified}, which is a type, not a function`);
  }
}

/** BUILD on a dict sets its attributes (a state dict's `_metadata`); on anything else it is refused. */
function build(target: Item, state: Item, fail: (why: string) => never): void {
  if (!(target instanceof TorchDict)) fail(`BUILD on ${describe(target)} (only a dict's attributes, such as a state dict's _metadata, are read)`);
  if (!(state instanceof TorchDict)) fail(`BUILD with ${describe(state)} as state, expected a dict of attributes`);
  for (const [key, value] of state) {
    if (typeof key !== "string") fail(`BUILD with an attribute name that is not a string (${String(key)})`);
    target.attributes.set(key, value);
  }
}

function intTuple(item: Item, what: string, fail: (why: string) => never): number[] {
  if (!Array.isArray(item) || !Object.isFrozen(item)) return fail(`_rebuild_tensor_v2 with a ${what} that is ${describe(item)}, expected a tuple of ints`);
  const values = item as Item[];
  if (!values.every((v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) {
    return fail(`_rebuild_tensor_v2 with ${what} (${values.map(String).join(", ")}), expected non-negative ints`);
  }
  if (values.length > 64) fail(`_rebuild_tensor_v2 with ${values.length} dimensions (at most 64 are read)`);
  return values as number[];
}

/** For messages: whether `dtype` is a known dtype name. */
export function isTorchDtype(dtype: string): dtype is TorchDtype {
  return (TORCH_DTYPES as readonly string[]).includes(dtype);
}
