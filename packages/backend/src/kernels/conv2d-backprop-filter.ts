import * as tf from "@tensorflow/tfjs-core";
import {
  type KernelArgs,
  type WasmBackend,
  heapF32,
  heapIndex,
  disposeIntermediate,
  runWasmKernel,
  transposeInfo,
} from "./wasm-internals";
import { matMulAt } from "./xnn-matmul";

/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none (so weight gradients of convolutions throw).
 *
 * The weight gradient dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s + kh − pad, ow·s + kw − pad, ci] · dy[b,oh,ow,co]
 * is itself a convolution: take the input channels as the batch and the batch as the channels,
 * x' = x transposed to [Ci, H, W, B], and dy as the filter, dy' = dy transposed to [OH, OW, B, Co]; a
 * stride-1 convolution of x' with dy' dilated by the forward stride gives [Ci, KH, KW, Co]. That runs in
 * XNNPACK at 14–36 GFLOP/s, where the cpu backend's loop runs at 0.014.
 */
export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== "channelsLast") {
    throw new Error(`@gan/backend: wasm Conv2DBackpropFilter supports only NHWC data, got ${dataFormat}`);
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
  if (process.env.GAN_BPF === "im2col") return viaIm2col(backend, x, dy, info);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight, inWidth, outHeight, outWidth, padInfo } = info;

  // Padding after the input so that the inner convolution yields exactly KH × KW outputs; when the forward
  // convolution ignored trailing input rows (negative padding) we pad nothing and crop the result instead.
  const padBottom = kh + (outHeight - 1) * sh - inHeight - padInfo.top;
  const padRight = kw + (outWidth - 1) * sw - inWidth - padInfo.left;

  const xT = transposeInfo(backend, x, [3, 1, 2, 0]);
  const dyT = transposeInfo(backend, dy, [1, 2, 0, 3]);
  const explicitPad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [padInfo.top, Math.max(0, padBottom)],
    [padInfo.left, Math.max(0, padRight)],
    [0, 0],
  ];
  let grad = runWasmKernel(
    "Conv2D",
    backend,
    { x: xT, filter: dyT },
    { strides: [1, 1], dilations: [sh, sw], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  disposeIntermediate(backend, xT);
  disposeIntermediate(backend, dyT);
  if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
    const cropped = runWasmKernel("Slice", backend, { x: grad }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] });
    disposeIntermediate(backend, grad);
    grad = cropped;
  }
  const result = transposeInfo(backend, grad, [1, 2, 0, 3]);
  disposeIntermediate(backend, grad);
  return result;
}

/** Floats of transposed patches gathered at once (the batch is processed in chunks below this). */
const PATCH_LIMIT = 8 * 1024 * 1024;

function viaIm2col(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const taps = kh * kw * ci;
  const perImage = outHeight * outWidth;
  const chunk = Math.max(1, Math.min(batchSize, Math.floor(PATCH_LIMIT / (taps * perImage))));
  const patches = backend.makeOutput([taps, chunk * perImage], "float32");
  const dW = backend.makeOutput([kh, kw, ci, co], "float32");
  const partial = chunk < batchSize ? backend.makeOutput([kh, kw, ci, co], "float32") : null;
  const bytes = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
  for (let b0 = 0; b0 < batchSize; b0 += chunk) {
    const nb = Math.min(chunk, batchSize - b0);
    const pixels = nb * perImage;
    const heap = heapF32(backend);
    const xBase = heapIndex(backend, x);
    const pBase = heapIndex(backend, patches);
    for (let fh = 0; fh < kh; fh++) {
      for (let fw = 0; fw < kw; fw++) {
        const tapBase = pBase + (fh * kw + fw) * ci * pixels;
        for (let b = 0; b < nb; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * sh + fh - top;
            const rowOk = ih >= 0 && ih < inHeight;
            const rowSrc = xBase + ((b0 + b) * inHeight + ih) * inWidth * ci;
            let p = tapBase + (b * outHeight + oh) * outWidth;
            for (let ow = 0; ow < outWidth; ow++, p++) {
              const iw = ow * sw + fw - left;
              if (rowOk && iw >= 0 && iw < inWidth) {
                const src = rowSrc + iw * ci;
                for (let c = 0, d = p; c < ci; c++, d += pixels) heap[d] = heap[src + c];
              } else {
                for (let c = 0, d = p; c < ci; c++, d += pixels) heap[d] = 0;
              }
            }
          }
        }
      }
    }
    const target = b0 === 0 ? dW : (partial as tf.TensorInfo);
    matMulAt(backend, bytes(patches), bytes(dy) + b0 * perImage * co * 4, bytes(target), taps, pixels, co);
    if (b0 > 0) {
      const h = heapF32(backend);
      const d = heapIndex(backend, dW);
      const s = heapIndex(backend, target);
      for (let i = 0; i < taps * co; i++) h[d + i] += h[s + i];
    }
  }
  disposeIntermediate(backend, patches);
  if (partial != null) disposeIntermediate(backend, partial);
  return dW;
}
