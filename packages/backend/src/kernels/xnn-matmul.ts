import type { WasmBackend } from "./wasm-internals";

type CFunc = (...args: unknown[]) => unknown;
const cBatchMatMul = new WeakMap<object, CFunc>();
const cSoftmax = new WeakMap<object, CFunc>();

function cFunction(backend: WasmBackend): CFunc {
  let fn = cBatchMatMul.get(backend.wasm);
  if (fn == null) {
    // The C function behind the stock BatchMatMul kernel; for one untransposed product it runs XNNPACK.
    fn = backend.wasm.cwrap("BatchMatMul", null, [
      "number", // a_id
      "array", // a_shape (int32 bytes)
      "number", // a_shape length
      "number", // b_id
      "array", // b_shape
      "number", // b_shape length
      "number", // transpose_a
      "number", // transpose_b
      "number", // out_id
    ]);
    cBatchMatMul.set(backend.wasm, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/**
 * out = left · right with XNNPACK, for row-major float32 matrices anywhere in the wasm heap:
 * left [rows, k] at byte offset `left`, right [k, cols] at `right`, out [rows, cols] at `out`.
 *
 * The C side only knows tensors by id, so the three regions are registered as temporary tensor ids (views,
 * no copy) and unregistered afterwards, which also frees the XNNPACK operator cached for `right`.
 */
export function matMulAt(
  backend: WasmBackend,
  left: number,
  right: number,
  out: number,
  rows: number,
  k: number,
  cols: number,
): void {
  const { tfjs } = backend.wasm;
  const view = (byteOffset: number, size: number): number => {
    const id = backend.dataIdNextNumber++;
    tfjs.registerTensor(id, size, byteOffset);
    return id;
  };
  const leftId = view(left, rows * k);
  const rightId = view(right, k * cols);
  const outId = view(out, rows * cols);
  try {
    cFunction(backend)(leftId, shapeBytes([1, rows, k]), 3, rightId, shapeBytes([1, k, cols]), 3, 0, 0, outId);
  } finally {
    tfjs.disposeData(leftId);
    tfjs.disposeData(rightId);
    tfjs.disposeData(outId);
  }
}

/**
 * Row-wise softmax with the wasm backend's own C kernel (XNNPACK), on `rows` × `cols` float32 in the wasm heap:
 * from byte offset `src` to byte offset `dst` (distinct regions), through temporary tensor ids as in
 * {@link matMulAt}.
 */
export function softmaxAt(backend: WasmBackend, src: number, dst: number, rows: number, cols: number): void {
  let fn = cSoftmax.get(backend.wasm);
  if (fn == null) {
    fn = backend.wasm.cwrap("Softmax", null, ["number", "number", "number", "number"]); // x_id, out_id, channels, batch
    cSoftmax.set(backend.wasm, fn);
  }
  const { tfjs } = backend.wasm;
  const srcId = backend.dataIdNextNumber++;
  tfjs.registerTensor(srcId, rows * cols, src);
  const dstId = backend.dataIdNextNumber++;
  tfjs.registerTensor(dstId, rows * cols, dst);
  try {
    fn(srcId, dstId, cols, rows);
  } finally {
    tfjs.disposeData(srcId);
    tfjs.disposeData(dstId);
  }
}


