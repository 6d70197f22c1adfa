import { FUSED_ATTENTION_GRAD_KERNEL, FUSED_ATTENTION_KERNEL } from "@gan/spec";
import type * as tf from "@tensorflow/tfjs-core";
import { simdKernels, transposeAt } from "./simd-kernels";
import { type KernelArgs, type WasmBackend, disposeIntermediate, heapF32, heapIndex } from "./wasm-internals";
import { matMulAt, softmaxAt } from "./xnn-matmul";

/** The fused attention kernel's name: `@gan/spec`'s, which `SelfAttention2d` of `@gan/layers` dispatches to. */
export const FUSED_ATTENTION = FUSED_ATTENTION_KERNEL;
/** The name of its gradient kernel. */
export const FUSED_ATTENTION_GRAD = FUSED_ATTENTION_GRAD_KERNEL;

interface Shapes {
  batch: number;
  /** Positions. */
  n: number;
  /** Query and key channels. */
  d: number;
  /** Value channels. */
  c: number;
}

function checkShapes(query: tf.TensorInfo, key: tf.TensorInfo, value: tf.TensorInfo, name: string): Shapes {
  for (const t of [query, key, value]) {
    if (t.shape.length !== 3 || t.dtype !== "float32") {
      throw new Error(`@gan/backend: ${name} takes float32 [B, N, C] tensors, got ${t.dtype} [${t.shape}]`);
    }
  }
  const [batch, n, d] = query.shape;
  const c = value.shape[2];
  if (key.shape[0] !== batch || key.shape[1] !== n || key.shape[2] !== d || value.shape[0] !== batch || value.shape[1] !== n) {
    throw new Error(`@gan/backend: ${name}: query [${query.shape}], key [${key.shape}] and value [${value.shape}] do not match`);
  }
  return { batch, n, d, c };
}

/** {@link transposeAt} bound to one backend. */
function transposer(backend: WasmBackend) {
  return (src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number): void =>
    transposeAt(backend, src, srcStride, dst, dstStride, rows, cols);
}

/** dS = A ⊙ (dA − rowsum(A ⊙ dA)) in place of dA, row by row: `rows` × `cols` at element indices `a` and `s`. */
function softmaxGradRows(backend: WasmBackend, a: number, s: number, rows: number, cols: number): void {
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.softmaxGradRows(4 * a, 4 * s, rows, cols);
    return;
  }
  const heap = heapF32(backend);
  for (let row = 0; row < rows; row++) {
    const start = row * cols;
    let dot = 0;
    for (let i = 0; i < cols; i++) dot += heap[a + start + i] * heap[s + start + i];
    for (let i = 0; i < cols; i++) {
      const at = s + start + i;
      heap[at] = heap[a + start + i] * (heap[at] - dot);
    }
  }
}

/** Byte offset of a tensor's data in the wasm heap. */
function byteOffset(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/**
 * `GanFusedAttention` (wasm): `out[b] = softmax(key[b] · query[b]ᵀ) · value[b]`, the softmax over the last
 * axis, for query and key `[B, N, d]` and value `[B, N, c]` — SelfAttention2d's `o` without its `[B, N, N]`
 * attention map: one batch element at a time, the N × N scores live in a scratch buffer (4 MB at N = 1024)
 * that the next element reuses. Products run through XNNPACK, the softmax through the backend's own kernel.
 */
export function fusedAttention({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { query, key, value } = inputs as { query: tf.TensorInfo; key: tf.TensorInfo; value: tf.TensorInfo };
  const { batch, n, d, c } = checkShapes(query, key, value, FUSED_ATTENTION);
  const out = backend.makeOutput([batch, n, c], "float32");
  if (batch * n * c === 0) return out;
  const scratch = [
    backend.makeOutput([d, n], "float32"), // queryᵀ of one element
    backend.makeOutput([n, n], "float32"), // scores
    backend.makeOutput([n, n], "float32"), // attention
  ];
  const qT = scratch[0];
  try {
    const q = heapIndex(backend, query);
    const qTAt = heapIndex(backend, qT);
    const kByte = byteOffset(backend, key);
    const vByte = byteOffset(backend, value);
    const outByte = byteOffset(backend, out);
    const [qTByte, sByte, aByte] = scratch.map((t) => byteOffset(backend, t));
    const transpose = transposer(backend);
    for (let b = 0; b < batch; b++) {
      transpose(q + b * n * d, d, qTAt, n, n, d);
      matMulAt(backend, kByte + 4 * b * n * d, qTByte, sByte, n, d, n);
      softmaxAt(backend, sByte, aByte, n, n);
      matMulAt(backend, aByte, vByte + 4 * b * n * c, outByte + 4 * b * n * c, n, n, c);
    }
  } finally {
    for (const t of scratch) disposeIntermediate(backend, t);
  }
  return out;
}

/**
 * `GanFusedAttentionGrad` (wasm): the gradients `[dQuery, dKey, dValue]` of {@link fusedAttention} for the
 * output gradient `dy` `[B, N, c]`. Per batch element, the attention A is recomputed (cheap: the scores are
 * a product with d = C/8 channels) instead of being kept from the forward pass, then `dV = Aᵀ·dy`,
 * `dA = dy·Vᵀ`, `dS = A ⊙ (dA − rowsum(A ⊙ dA))` in place, `dK = dS·Q` and `dQ = dSᵀ·K`, every product in
 * XNNPACK with a small right operand (packing a 1024 × 1024 one costs as much as the product), Aᵀ and dSᵀ
 * by the SIMD transpose.
 */
export function fusedAttentionGrad({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { query, key, value, dy } = inputs as Record<"query" | "key" | "value" | "dy", tf.TensorInfo>;
  const { batch, n, d, c } = checkShapes(query, key, value, FUSED_ATTENTION_GRAD);
  if (dy.shape.length !== 3 || dy.shape[0] !== batch || dy.shape[1] !== n || dy.shape[2] !== c) {
    throw new Error(`@gan/backend: ${FUSED_ATTENTION_GRAD}: dy [${dy.shape}] does not match value [${value.shape}]`);
  }
  const dq = backend.makeOutput([batch, n, d], "float32");
  const dk = backend.makeOutput([batch, n, d], "float32");
  const dv = backend.makeOutput([batch, n, c], "float32");
  if (batch * n === 0) return [dq, dk, dv];
  const scratch = [
    backend.makeOutput([d, n], "float32"), // queryᵀ
    backend.makeOutput([c, n], "float32"), // valueᵀ
    backend.makeOutput([n, n], "float32"), // scores, then dA, then dS
    backend.makeOutput([n, n], "float32"), // attention
    backend.makeOutput([n, n], "float32"), // attentionᵀ, then dSᵀ
  ];
  try {
    const [qTAt, vTAt, sAt, aAt, tAt] = scratch.map((t) => heapIndex(backend, t));
    const [qTByte, vTByte, sByte, aByte, tByte] = scratch.map((t) => byteOffset(backend, t));
    const q = heapIndex(backend, query);
    const v = heapIndex(backend, value);
    const [qByte, kByte, gByte, dqByte, dkByte, dvByte] = [query, key, dy, dq, dk, dv].map((t) => byteOffset(backend, t));
    const transpose = transposer(backend);
    for (let b = 0; b < batch; b++) {
      const nd = b * n * d;
      const nc = b * n * c;
      transpose(q + nd, d, qTAt, n, n, d);
      transpose(v + nc, c, vTAt, n, n, c);
      // A = softmax(K·Qᵀ), recomputed; dV = Aᵀ·dy.
      matMulAt(backend, kByte + 4 * nd, qTByte, sByte, n, d, n);
      softmaxAt(backend, sByte, aByte, n, n);
      transpose(aAt, n, tAt, n, n, n);
      matMulAt(backend, tByte, gByte + 4 * nc, dvByte + 4 * nc, n, n, c);
      // dA = dy·Vᵀ, then dS = A ⊙ (dA − Σ_row A ⊙ dA), in place.
      matMulAt(backend, gByte + 4 * nc, vTByte, sByte, n, c, n);
      softmaxGradRows(backend, aAt, sAt, n, n);
      // dK = dS·Q; dQ = dSᵀ·K.
      matMulAt(backend, sByte, qByte + 4 * nd, dkByte + 4 * nd, n, n, d);
      transpose(sAt, n, tAt, n, n, n);
      matMulAt(backend, tByte, kByte + 4 * nd, dqByte + 4 * nd, n, n, d);
    }
  } finally {
    for (const t of scratch) disposeIntermediate(backend, t);
  }
  return [dq, dk, dv];
}
