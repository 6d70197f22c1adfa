import * as tf from "@tensorflow/tfjs-core";
import { stockWasmKernel } from "./kernel-registry";
import {
  type KernelArgs,
  type WasmBackend,
  disposeIntermediate,
  heapF32,
  heapIndex,
  runWasmKernel,
} from "./wasm-internals";

/**
 * The XNNPACK path does this many times the useful multiply-adds at most; beyond, the stock loop (about ten
 * times slower per multiply-add) is used. A 1×1 input upsampled by a 4×4 kernel (DCGAN's first layer) costs
 * 16× and stays on the stock loop; every stride-2 layer with kernel 4 costs (1 + 1/H)².
 */
const MAX_WASTE = 6;

/** How one spatial axis of a transposed convolution splits into stride phases. */
export interface AxisPlan {
  /** Taps per phase: ceil(kernel / stride). */
  taps: number;
  /** First and last phase-grid index needed. */
  qMin: number;
  qMax: number;
  /** Padding of dy before the phase convolution. */
  padBefore: number;
  padAfter: number;
  /** Rows (or columns) the phase convolution produces. */
  outSize: number;
}

function planAxis(kernel: number, stride: number, pad: number, inSize: number, dySize: number): AxisPlan | null {
  const taps = Math.ceil(kernel / stride);
  const qMin = Math.floor(pad / stride);
  const qMax = Math.floor((pad + inSize - 1) / stride);
  const padBefore = taps - 1 - qMin;
  if (padBefore < 0) return null; // padding wider than the kernel: leave it to the stock kernel
  const natural = dySize + padBefore - taps + 1;
  const padAfter = Math.max(0, qMax - qMin + 1 - natural);
  return { taps, qMin, qMax, padBefore, padAfter, outSize: natural + padAfter };
}

/**
 * `Conv2DBackpropInput` for the wasm backend: the input gradient of every convolution and the forward pass
 * of every transposed convolution.
 *
 * The stock wasm kernel is a scalar single-threaded loop (≈3.3 GFLOP/s). Here the s×s output phases of a
 * stride-s transposed convolution (output pixel ih uses kernel taps kh ≡ ih + pad mod s only) become the
 * output channels of one ordinary stride-1 convolution over dy with ceil(k/s)×ceil(k/s) taps and s²·Ci
 * channels, which XNNPACK runs at its full speed; a copy then interleaves the phases into dx. For kernel 4,
 * stride 2, padding 1 that is four 2×2 convolutions computed as one. Shapes where that would waste too
 * much work (or NCHW data) go to the stock kernel.
 */
export function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const plan = dy.dtype === "float32" && filter.dtype === "float32" ? planPhaseConvolution(info) : null;
  if (plan == null) {
    const stock = stockWasmKernel("Conv2DBackpropInput");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no Conv2DBackpropInput kernel");
    return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  return phaseConvolution(backend, dy, filter, info, plan.rows, plan.cols);
}

/**
 * How a transposed convolution (a Conv2DBackpropInput) runs as one XNNPACK convolution, or null when it
 * goes to the stock kernel (NCHW data, padding wider than the kernel, or too much wasted work).
 */
export function planPhaseConvolution(info: tf.backend_util.Conv2DInfo): { rows: AxisPlan; cols: AxisPlan } | null {
  if (info.dataFormat !== "channelsLast") return null;
  const rows = planAxis(info.filterHeight, info.strideHeight, info.padInfo.top, info.inHeight, info.outHeight);
  const cols = planAxis(info.filterWidth, info.strideWidth, info.padInfo.left, info.inWidth, info.outWidth);
  if (rows == null || cols == null || wasteRatio(info, rows, cols) > MAX_WASTE) return null;
  return { rows, cols };
}

function wasteRatio(info: tf.backend_util.Conv2DInfo, rows: AxisPlan, cols: AxisPlan): number {
  const phases = info.strideHeight * info.strideWidth;
  const done = rows.outSize * cols.outSize * rows.taps * cols.taps * phases;
  const useful = info.outHeight * info.outWidth * info.filterHeight * info.filterWidth;
  return done / useful;
}

function phaseConvolution(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  rows: AxisPlan,
  cols: AxisPlan,
): tf.TensorInfo {
  const { strideHeight: sh, strideWidth: sw, inChannels: ci } = info;
  const phaseFilter = buildPhaseFilter(backend, filter, info, rows.taps, cols.taps);
  const explicitPad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [rows.padBefore, rows.padAfter],
    [cols.padBefore, cols.padAfter],
    [0, 0],
  ];
  const phased = runWasmKernel(
    "Conv2D",
    backend,
    { x: dy, filter: phaseFilter },
    { strides: [1, 1], dilations: [1, 1], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  disposeIntermediate(backend, phaseFilter);

  // Interleave: dx[b, ih, iw, c] = phased[b, qh − qMinH, qw − qMinW, (rh·sw + rw)·Ci + c] with ih + pad = qh·sh + rh.
  const out = backend.makeOutput([info.batchSize, info.inHeight, info.inWidth, ci], "float32");
  const heap = heapF32(backend);
  const src = heapIndex(backend, phased);
  const dst = heapIndex(backend, out);
  const phasedW = cols.outSize;
  const phasedC = sh * sw * ci;
  const srcBatch = rows.outSize * phasedW * phasedC;
  const { top, left } = info.padInfo;
  let d = dst;
  for (let b = 0; b < info.batchSize; b++) {
    const srcB = src + b * srcBatch;
    for (let ih = 0; ih < info.inHeight; ih++) {
      const th = ih + top;
      const rh = th % sh;
      const rowBase = srcB + ((th - rh) / sh - rows.qMin) * phasedW * phasedC + rh * sw * ci;
      for (let iw = 0; iw < info.inWidth; iw++) {
        const tw = iw + left;
        const rw = tw % sw;
        const s = rowBase + ((tw - rw) / sw - cols.qMin) * phasedC + rw * ci;
        if (ci >= 16) {
          heap.copyWithin(d, s, s + ci);
        } else {
          for (let c = 0; c < ci; c++) heap[d + c] = heap[s + c];
        }
        d += ci;
      }
    }
  }
  disposeIntermediate(backend, phased);
  return out;
}

/**
 * The filter of the phase convolution, [th, tw, Co, sh·sw·Ci]:
 * P[uh, uw, o, (rh·sw + rw)·Ci + c] = W[rh + (th−1−uh)·sh, rw + (tw−1−uw)·sw, c, o], zero past the kernel.
 */
function buildPhaseFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  th: number,
  tw: number,
): tf.TensorInfo {
  const { strideHeight: sh, strideWidth: sw, inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const phaseChannels = sh * sw * ci;
  const out = backend.makeOutput([th, tw, co, phaseChannels], "float32");
  const heap = heapF32(backend);
  const w = heapIndex(backend, filter);
  const p = heapIndex(backend, out);
  heap.fill(0, p, p + th * tw * co * phaseChannels);
  for (let uh = 0; uh < th; uh++) {
    for (let rh = 0; rh < sh; rh++) {
      const fh = rh + (th - 1 - uh) * sh;
      if (fh >= kh) continue;
      for (let uw = 0; uw < tw; uw++) {
        for (let rw = 0; rw < sw; rw++) {
          const fw = rw + (tw - 1 - uw) * sw;
          if (fw >= kw) continue;
          // W[fh, fw, c, o] is at ((fh·kw + fw)·ci + c)·co + o.
          const wBase = w + (fh * kw + fw) * ci * co;
          const pBase = p + (uh * tw + uw) * co * phaseChannels + (rh * sw + rw) * ci;
          for (let c = 0; c < ci; c++) {
            const wRow = wBase + c * co;
            let q = pBase + c;
            for (let o = 0; o < co; o++) {
              heap[q] = heap[wRow + o];
              q += phaseChannels;
            }
          }
        }
      }
    }
  }
  return out;
}
