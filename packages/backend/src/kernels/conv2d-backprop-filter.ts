import * as tf from "@tensorflow/tfjs-core";
import { swapOuterAxes } from "./heap-copy";
import { transposeAt } from "./simd-kernels";
import { matMulAt } from "./xnn-matmul";
import { type KernelArgs, disposeIntermediate, heapF32, heapIndex, runWasmKernel } from "./wasm-internals";

/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none (so weight gradients of convolutions throw).
 *
 * The weight gradient dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[b,oh,ow,co]
 * is itself a convolution: take the input channels as the batch and the batch as the channels,
 * x' = x rearranged to [Ci, H, W, B], and dy as the filter, dy' = dy rearranged to [OH, OW, B, Co]; a
 * stride-1 convolution of x' with dy' dilated by the forward stride gives [Ci, KH, KW, Co]. XNNPACK runs
 * it at 15–30 GFLOP/s here, where the cpu backend's loop runs at 0.014.
 */
export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== "channelsLast") {
    throw new Error(`@gan/backend: wasm Conv2DBackpropFilter supports only NHWC data, got ${dataFormat}`);
  }
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error("@gan/backend: wasm Conv2DBackpropFilter supports only float32 tensors");
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && outHeight === inHeight && outWidth === inWidth;
  if (pointwise) return pointwiseFilterGradient(backend, x, dy, batchSize * inHeight * inWidth, inChannels, outChannels);
  if (inChannels <= FEW_CHANNELS) return fewChannelsFilterGradient(backend, x, dy, info);

  // x [B, H·W, Ci] → [Ci, H·W, B]; dy [B, OH·OW, Co] → [OH·OW, B, Co].
  const xT = backend.makeOutput([inChannels, inHeight, inWidth, batchSize], "float32");
  const dyT = backend.makeOutput([outHeight, outWidth, batchSize, outChannels], "float32");
  // [B, HW, Ci] → [Ci, HW, B]: for each position, a B × Ci transpose (SIMD when available).
  const xAt = heapIndex(backend, x);
  const xTAt = heapIndex(backend, xT);
  const positions = inHeight * inWidth;
  for (let j = 0; j < positions; j++) {
    transposeAt(backend, xAt + j * inChannels, positions * inChannels, xTAt + j * batchSize, positions * batchSize, batchSize, inChannels);
  }
  let heap = heapF32(backend);
  swapOuterAxes(heap, heapIndex(backend, dy), heapIndex(backend, dyT), batchSize, outHeight * outWidth, outChannels);

  // Padding after the input so that the inner convolution yields exactly KH × KW outputs; when the forward
  // convolution ignored trailing input rows (negative padding) pad nothing and skip the extra outputs.
  const padBottom = kh + (outHeight - 1) * sh - inHeight - padInfo.top;
  const padRight = kw + (outWidth - 1) * sw - inWidth - padInfo.left;
  const explicitPad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [padInfo.top, Math.max(0, padBottom)],
    [padInfo.left, Math.max(0, padRight)],
    [0, 0],
  ];
  const grad = runWasmKernel(
    "Conv2D",
    backend,
    { x: xT, filter: dyT },
    { strides: [1, 1], dilations: [sh, sw], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  disposeIntermediate(backend, xT);
  disposeIntermediate(backend, dyT);

  // grad [Ci, gh, gw, Co] (gh ≥ KH, gw ≥ KW) → dW [KH, KW, Ci, Co].
  const [, gh, gw] = grad.shape;
  const dW = backend.makeOutput([kh, kw, inChannels, outChannels], "float32");
  heap = heapF32(backend);
  const g = heapIndex(backend, grad);
  const d = heapIndex(backend, dW);
  if (gh === kh && gw === kw) {
    swapOuterAxes(heap, g, d, inChannels, kh * kw, outChannels);
  } else {
    for (let c = 0; c < inChannels; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const from = g + ((c * gh + i) * gw + j) * outChannels;
          heap.copyWithin(d + ((i * kw + j) * inChannels + c) * outChannels, from, from + outChannels);
        }
      }
    }
  }
  disposeIntermediate(backend, grad);
  return dW;
}

/**
 * Positions per chunk of {@link pointwiseFilterGradient}: at least 1024, so that the operands of one product
 * stay in the L2 cache for 64 channels, and more for few channels, where each product's setup dominates.
 */
function pointwiseChunk(inChannels: number, outChannels: number): number {
  return Math.max(1024, Math.floor(65536 / Math.min(inChannels, outChannels)));
}

/**
 * The weight gradient of a 1×1, stride-1 convolution (self-attention's query, key and value convolutions) is
 * one matrix product over the P = B·H·W positions: dW [Ci, Co] = xᵀ [Ci, P] · dy [P, Co], summed here over
 * chunks of positions small enough to stay in cache. As a convolution with a 32 × 32 "filter" (the general
 * path above) XNNPACK runs it at ~5 GFLOP/s.
 */
function pointwiseFilterGradient(
  backend: KernelArgs["backend"],
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  positions: number,
  inChannels: number,
  outChannels: number,
): tf.TensorInfo {
  const dW = backend.makeOutput([1, 1, inChannels, outChannels], "float32");
  const chunk = Math.min(pointwiseChunk(inChannels, outChannels), positions);
  const xT = backend.makeOutput([inChannels, chunk], "float32");
  const part = backend.makeOutput([inChannels, outChannels], "float32");
  try {
    const byte = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const xAt = heapIndex(backend, x);
    const [xTAt, partAt, dWAt] = [xT, part, dW].map((t) => heapIndex(backend, t));
    const size = inChannels * outChannels;
    for (let p0 = 0; p0 < positions; p0 += chunk) {
      const rows = Math.min(chunk, positions - p0);
      transposeAt(backend, xAt + p0 * inChannels, inChannels, xTAt, rows, rows, inChannels);
      const target = p0 === 0 ? dW : part;
      matMulAt(backend, byte(xT), byte(dy) + 4 * p0 * outChannels, byte(target), inChannels, rows, outChannels);
      if (p0 > 0) {
        const heap = heapF32(backend);
        for (let i = 0; i < size; i++) heap[dWAt + i] += heap[partAt + i];
      }
    }
  } finally {
    disposeIntermediate(backend, xT);
    disposeIntermediate(backend, part);
  }
  return dW;
}

/** Input channels up to which {@link fewChannelsFilterGradient} runs (a discriminator's image input). */
const FEW_CHANNELS = 4;
/** Output positions per product of {@link fewChannelsFilterGradient}. */
const PATCH_CHUNK = 1024;

/**
 * The weight gradient for few input channels (the first convolution of a discriminator: 1 or 3): as a
 * convolution over [Ci, H, W, B] its batch is Ci, and XNNPACK runs it at ~1.5 GFLOP/s. Here the input
 * patches of a chunk of output positions are gathered (im2col: R = KH·KW·Ci rows) and multiplied by the
 * chunk of dy: dW [R, Co] += patches [R, chunk] · dy [chunk, Co], every operand in cache.
 */
function fewChannelsFilterGradient(
  backend: KernelArgs["backend"],
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, padInfo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const rows = kh * kw * ci;
  const positions = batchSize * outHeight * outWidth;
  const chunk = Math.min(PATCH_CHUNK, positions);
  const dW = backend.makeOutput([kh, kw, ci, co], "float32");
  const patches = backend.makeOutput([rows, chunk], "float32");
  const part = backend.makeOutput([rows, co], "float32");
  try {
    const byte = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const [xAt, pAt, partAt, dWAt] = [x, patches, part, dW].map((t) => heapIndex(backend, t));
    const dyByte = byte(dy);
    const size = rows * co;
    for (let p0 = 0; p0 < positions; p0 += chunk) {
      const count = Math.min(chunk, positions - p0);
      const heap = heapF32(backend);
      // patches [rows, count]: patches[r][j] = x[b, oh·sh + i·dh − top, ow·sw + k·dw − left, c] for
      // r = (i·KW + k)·Ci + c and output position p0 + j = (b, oh, ow); 0 in the padding.
      for (let j = 0; j < count; j++) {
        const p = p0 + j;
        const b = Math.floor(p / (outHeight * outWidth));
        const rest = p - b * outHeight * outWidth;
        const oh = Math.floor(rest / outWidth);
        const ow = rest - oh * outWidth;
        for (let i = 0; i < kh; i++) {
          const h = oh * sh + i * dh - padInfo.top;
          for (let k = 0; k < kw; k++) {
            const w = ow * sw + k * dw - padInfo.left;
            const inside = h >= 0 && h < inHeight && w >= 0 && w < inWidth;
            const from = xAt + ((b * inHeight + h) * inWidth + w) * ci;
            const to = pAt + (i * kw + k) * ci * count + j;
            for (let c = 0; c < ci; c++) heap[to + c * count] = inside ? heap[from + c] : 0;
          }
        }
      }
      matMulAt(backend, byte(patches), dyByte + 4 * p0 * co, byte(p0 === 0 ? dW : part), rows, count, co);
      if (p0 > 0) {
        const h = heapF32(backend);
        for (let i = 0; i < size; i++) h[dWAt + i] += h[partAt + i];
      }
    }
  } finally {
    disposeIntermediate(backend, patches);
    disposeIntermediate(backend, part);
  }
  return dW;
}
