/**
 * The values a `torch.save` file holds, as plain JavaScript: tensors ({@link TorchTensor}), dicts
 * ({@link TorchDict}), lists, strings, numbers, bigints, booleans and `null`.
 */

/** The element types of PyTorch tensors that the reader and the writer handle. */
export const TORCH_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"] as const;

/** A PyTorch element type (`torch.float32` is `"float32"`, `torch.long` is `"int64"`...). */
export type TorchDtype = (typeof TORCH_DTYPES)[number];

/**
 * The typed array of each {@link TorchDtype}: `float16` and `bfloat16` keep their raw 16-bit patterns (a
 * `Uint16Array`, see {@link TorchTensor.toFloat32}); `bool` is a `Uint8Array` of 0 and 1; `int64` a `BigInt64Array`.
 */
export interface TorchArrays {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** The typed array of a tensor of any {@link TorchDtype}. */
export type TorchData = TorchArrays[TorchDtype];

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** PyTorch's storage class of each dtype, as pickled (`torch.FloatStorage`...). */
export const STORAGE_TYPES: Readonly<Record<TorchDtype, string>> = {
  float32: "FloatStorage",
  float64: "DoubleStorage",
  float16: "HalfStorage",
  bfloat16: "BFloat16Storage",
  int64: "LongStorage",
  int32: "IntStorage",
  int16: "ShortStorage",
  int8: "CharStorage",
  uint8: "ByteStorage",
  bool: "BoolStorage",
};

const ARRAY_OF: { [D in TorchDtype]: { new (n: number): TorchArrays[D]; name: string } } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** A new zero-filled typed array of `dtype` with `length` elements. */
export function allocate<D extends TorchDtype>(dtype: D, length: number): TorchArrays[D] {
  return new ARRAY_OF[dtype](length);
}

/** The number of elements of a tensor of `shape` (1 for a 0-d tensor). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A dense tensor in row-major (C-contiguous) order, as `torch.load` would give it after `.contiguous()`. The
 * reader gathers views (a storage offset, transposed or sliced strides) into their own array; shared storages
 * become separate arrays.
 */
export class TorchTensor<D extends TorchDtype = TorchDtype> {
  /** The element type. */
  readonly dtype: D;
  /** The sizes (`[]` for a 0-d tensor, whose `data` has one element). */
  readonly shape: readonly number[];
  /** The elements, row-major; its length is the product of `shape`. */
  readonly data: TorchArrays[D];
  /** Whether the tensor was saved as an `nn.Parameter` with `requires_grad` set (read only; never written). */
  readonly requiresGrad: boolean;

  /**
   * Checks that `data` is the typed array of `dtype` (see {@link TorchArrays}) and has `product(shape)` elements.
   * The array is kept, not copied.
   */
  constructor(dtype: D, shape: readonly number[], data: TorchArrays[D], options: { requiresGrad?: boolean } = {}) {
    if (!(TORCH_DTYPES as readonly string[]).includes(dtype)) throw new Error(`TorchTensor: unknown dtype ${JSON.stringify(dtype)} (expected one of ${TORCH_DTYPES.join(", ")})`);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`TorchTensor: shape [${shape}] must hold non-negative integers`);
    const Expected = ARRAY_OF[dtype];
    if (!(data instanceof Expected)) {
      throw new Error(`TorchTensor: a ${dtype} tensor takes a ${Expected.name}, got ${(data as object)?.constructor?.name ?? typeof data}`);
    }
    if (data.length !== numel(shape)) throw new Error(`TorchTensor: shape [${shape}] has ${numel(shape)} elements, the data ${data.length}`);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
    this.requiresGrad = options.requiresGrad ?? false;
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }

  /**
   * The values as a new `Float32Array`: float types are converted (float64 rounded, float16 and bfloat16
   * widened exactly), integers and booleans as numbers (int64 beyond ±2^24 loses precision, as in PyTorch's
   * `.float()`).
   */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.size);
    const data = this.data;
    if (this.dtype === "float16") for (let i = 0; i < out.length; i++) out[i] = halfToFloat((data as Uint16Array)[i]);
    else if (this.dtype === "bfloat16") {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i++) bits[i] = (data as Uint16Array)[i] << 16;
    } else if (this.dtype === "int64") for (let i = 0; i < out.length; i++) out[i] = Number((data as BigInt64Array)[i]);
    else out.set(data as Exclude<TorchData, BigInt64Array>);
    return out;
  }
}

/** A float16 bit pattern as a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A key of a pickled dict: Python's `str`, `int`, `bool` or `None`. */
export type TorchKey = string | number | bigint | boolean | null;

/**
 * A Python dict or `collections.OrderedDict` (what `state_dict()` returns), keys in insertion order. A
 * `Map`, so integer keys (an optimizer's state) and key order survive.
 */
export class TorchDict extends Map<TorchKey, TorchValue> {
  /** `"OrderedDict"` for a `collections.OrderedDict`, `"dict"` for a plain dict. */
  type: "dict" | "OrderedDict";
  /**
   * Attributes the pickle set on the object (`BUILD`): a state dict's `_metadata`, PyTorch's per-module versions
   * (`{"layer1.1": {"version": 2}, ...}`). Written back by {@link writeTorchFile}.
   */
  readonly attributes: Map<string, TorchValue>;

  constructor(type: "dict" | "OrderedDict" = "dict", entries?: Iterable<readonly [TorchKey, TorchValue]>) {
    super(entries);
    this.type = type;
    this.attributes = new Map();
  }
}

/**
 * A value read from or written to a `torch.save` file: a tensor, a dict, a list (Python tuples are read as
 * frozen arrays, which are written back as tuples), a string, a number (Python `float`, or an `int` within ±2^53), a bigint (a
 * larger `int`), a boolean or `null` (`None`).
 */
export type TorchValue = TorchTensor | TorchDict | readonly TorchValue[] | string | number | bigint | boolean | null;

/**
 * A flat state dict: parameter and buffer names (`layer1.0.weight_orig`, `layer1.1.num_batches_tracked`) to
 * tensors, in the file's order. An object without a prototype, so a name such as `__proto__` is an ordinary key.
 */
export type TorchStateDict = Record<string, TorchTensor>;
