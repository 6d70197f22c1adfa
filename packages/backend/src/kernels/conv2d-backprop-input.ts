import * as tf from "@tensorflow/tfjs-core";
import { swapInnerAxes, transposeMatrix } from "./heap-copy";
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
 * The XNNPACK path may do this many times the useful multiply-adds at most; beyond, the stock loop (about
 * ten times slower per multiply-add) runs. Upsampling a 1×1 input with a 4×4 kernel (DCGAN's first layer)
 * would cost 16× and stays on the stock loop; stride-2 layers with kernel 4 cost nothing extra.
 */
const MAX_WASTE = 6;

/** One stride phase along one spatial axis: the dx rows (or columns) i ≡ r − pad (mod stride). */
export interface PhasePlan {
  /** Phase index r: these dx rows use kernel taps r, r + s, r + 2s, ... */
  r: number;
  /** Kernel taps the phase uses: ceil((k − r) / s); 0 means these rows get no gradient. */
  taps: number;
  /** First dx row of the phase and how many rows (every stride-th) it has. */
  first: number;
  count: number;
  /** Leading rows of the phase's convolution output that no dx row needs. */
  skip: number;
  /** Padding of dy for the phase's convolution, and the rows that convolution yields (≥ skip + count). */
  padBefore: number;
  padAfter: number;
  convOut: number;
}

function planAxis(kernel: number, stride: number, pad: number, inSize: number, dySize: number): PhasePlan[] {
  const phases: PhasePlan[] = [];
  for (let r = 0; r < stride; r++) {
    const taps = Math.max(0, Math.ceil((kernel - r) / stride));
    // dx row i = q·s + r − pad for q in [qLo, qHi] reads dy rows q − j, j < taps; convolution output row o
    // reads padded dy rows o .. o + taps − 1, so q = o + taps − 1 − padBefore.
    const qLo = Math.ceil((pad - r) / stride);
    const qHi = Math.floor((inSize - 1 + pad - r) / stride);
    const count = Math.max(0, qHi - qLo + 1);
    const padBefore = Math.max(0, taps - 1 - qLo);
    const skip = padBefore - (taps - 1 - qLo); // leading output rows no dx row needs (wide padding)
    const padAfter = Math.max(0, skip + count + taps - 1 - padBefore - dySize);
    const convOut = dySize + padBefore + padAfter - taps + 1;
    phases.push({ r, taps, first: qLo * stride + r - pad, count, skip, padBefore, padAfter, convOut });
  }
  return phases;
}

/**
 * `Conv2DBackpropInput` for the wasm backend: the input gradient of every convolution and the forward pass
 * of every transposed convolution.
 *
 * The stock wasm kernel is a scalar single-threaded loop (≈3.3 GFLOP/s). A stride-s transposed convolution
 * splits into s×s phases: dx pixels whose row is ≡ r − pad (mod s) only meet kernel rows r, r + s, ... So
 * each phase is an ordinary stride-1 convolution of dy with a small, flipped sub-kernel (2×2 for kernel 4,
 * stride 2), which XNNPACK runs at full speed, and its output is scattered into every s-th pixel of dx.
 * Shapes where that would waste too much work (or NCHW data) go to the stock kernel.
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
  return plan.mode === "merged"
    ? mergedConvolution(backend, dy, filter, info, plan)
    : phaseConvolutions(backend, dy, filter, info, plan.rows, plan.cols);
}

/** The stride phases of one axis computed together: one convolution window covering every phase's taps. */
export interface MergedAxis {
  /** Window size: the most taps any phase uses. */
  taps: number;
  padBefore: number;
  padAfter: number;
  convOut: number;
  /** Per phase (same order as the phases), the leading output rows it skips. */
  skips: number[];
}

function mergeAxis(phases: PhasePlan[], dySize: number): MergedAxis {
  const taps = Math.max(...phases.map((p) => p.taps));
  // Phase r's window for dx row q·s + r − pad ends at dy row q; in the merged window it ends there too, its
  // missing leading taps being zero. Output row o then ends at dy row o − padBefore + taps − 1.
  const qLo = phases.map((p) => p.skip + p.taps - 1 - p.padBefore);
  const padBefore = Math.max(0, ...qLo.map((q) => taps - 1 - q));
  const skips = qLo.map((q) => q + padBefore - taps + 1);
  const needed = Math.max(...phases.map((p, i) => skips[i] + p.count));
  const natural = dySize + padBefore - taps + 1;
  const padAfter = Math.max(0, needed - natural);
  return { taps, padBefore, padAfter, convOut: natural + padAfter, skips };
}

/** How {@link conv2DBackpropInput} runs a transposed convolution on XNNPACK. */
export interface PhaseConvolutionPlan {
  /**
   * `phases`: one convolution per stride phase (best when dx has many channels); `merged`: one
   * convolution whose output channels are all phases side by side (best for few channels, e.g. an image).
   */
  mode: "phases" | "merged";
  rows: PhasePlan[];
  cols: PhasePlan[];
  mergedRows: MergedAxis;
  mergedCols: MergedAxis;
}

/** dx channels × phases up to which the phases are computed as one convolution. */
const MERGE_CHANNELS = 32;

/**
 * How a Conv2DBackpropInput runs as XNNPACK convolutions, or null when it goes to the stock kernel
 * (NCHW data or too much wasted work).
 */
export function planPhaseConvolution(info: tf.backend_util.Conv2DInfo): PhaseConvolutionPlan | null {
  if (info.dataFormat !== "channelsLast") return null;
  const rows = planAxis(info.filterHeight, info.strideHeight, info.padInfo.top, info.inHeight, info.outHeight);
  const cols = planAxis(info.filterWidth, info.strideWidth, info.padInfo.left, info.inWidth, info.outWidth);
  const mergedRows = mergeAxis(rows, info.outHeight);
  const mergedCols = mergeAxis(cols, info.outWidth);
  const phases = info.strideHeight * info.strideWidth;
  const mode = info.inChannels * phases <= MERGE_CHANNELS ? "merged" : "phases";
  let done = 0;
  if (mode === "merged") {
    done = mergedRows.convOut * mergedCols.convOut * mergedRows.taps * mergedCols.taps * phases;
  } else {
    for (const row of rows) for (const col of cols) done += row.convOut * col.convOut * row.taps * col.taps;
  }
  const useful = info.outHeight * info.outWidth * info.filterHeight * info.filterWidth;
  if (done > MAX_WASTE * useful) return null;
  return { mode, rows, cols, mergedRows, mergedCols };
}

function phaseConvolutions(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  rows: PhasePlan[],
  cols: PhasePlan[],
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterWidth: kw } = info;
  // The filter with its last two axes swapped, [KH, KW, Co, Ci]: each tap is then a ready Co × Ci block.
  const swapped = backend.makeOutput([info.filterHeight, kw, co, ci], "float32");
  swapInnerAxes(heapF32(backend), heapIndex(backend, filter), heapIndex(backend, swapped), info.filterHeight * kw, ci, co);
  const out = backend.makeOutput([batchSize, inHeight, inWidth, ci], "float32");
  const silent = rows.some((p) => p.count > 0 && p.taps === 0) || cols.some((p) => p.count > 0 && p.taps === 0);
  if (silent) heapF32(backend).fill(0, heapIndex(backend, out), heapIndex(backend, out) + batchSize * inHeight * inWidth * ci);

  for (const row of rows) {
    for (const col of cols) {
      if (row.count === 0 || col.count === 0 || row.taps === 0 || col.taps === 0) continue;
      // Sub-kernel of this phase, flipped: P[u, v] = W[r + (taps − 1 − u)·s, c + (taps − 1 − v)·s], as [Co, Ci].
      const sub = backend.makeOutput([row.taps, col.taps, co, ci], "float32");
      let heap = heapF32(backend);
      const block = co * ci;
      const src = heapIndex(backend, swapped);
      let dst = heapIndex(backend, sub);
      for (let u = 0; u < row.taps; u++) {
        const fh = row.r + (row.taps - 1 - u) * sh;
        for (let v = 0; v < col.taps; v++) {
          const fw = col.r + (col.taps - 1 - v) * sw;
          const from = src + (fh * kw + fw) * block;
          heap.copyWithin(dst, from, from + block);
          dst += block;
        }
      }
      const explicitPad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [row.padBefore, row.padAfter],
        [col.padBefore, col.padAfter],
        [0, 0],
      ];
      const phase = runWasmKernel(
        "Conv2D",
        backend,
        { x: dy, filter: sub },
        { strides: [1, 1], dilations: [1, 1], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
      );
      disposeIntermediate(backend, sub);
      // Scatter: dx[b, first_h + o·sh, first_w + p·sw, :] = phase[b, o, p, :].
      heap = heapF32(backend);
      const phaseBase = heapIndex(backend, phase);
      const outBase = heapIndex(backend, out);
      const phaseRow = col.convOut * ci;
      for (let b = 0; b < batchSize; b++) {
        for (let o = 0; o < row.count; o++) {
          let s = phaseBase + (b * row.convOut + row.skip + o) * phaseRow + col.skip * ci;
          let d = outBase + ((b * inHeight + row.first + o * sh) * inWidth + col.first) * ci;
          const step = sw * ci;
          if (ci >= 16) {
            for (let p = 0; p < col.count; p++, s += ci, d += step) heap.copyWithin(d, s, s + ci);
          } else {
            for (let p = 0; p < col.count; p++, s += ci, d += step) for (let c = 0; c < ci; c++) heap[d + c] = heap[s + c];
          }
        }
      }
      disposeIntermediate(backend, phase);
    }
  }
  disposeIntermediate(backend, swapped);
  return out;
}

/** All phases as one convolution with [T, T, Co, s²·Ci] filter; its output channels are (rh, rw, c). */
function mergedConvolution(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  plan: PhaseConvolutionPlan,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { mergedRows: mr, mergedCols: mc } = plan;
  const width = sh * sw * ci;
  // P[u, v, o, (rh·sw + rw)·Ci + c] = W[rh + (T − 1 − u)·sh, rw + (T − 1 − v)·sw, c, o], zero past the kernel.
  const merged = backend.makeOutput([mr.taps, mc.taps, co, width], "float32");
  let heap = heapF32(backend);
  const w = heapIndex(backend, filter);
  const p = heapIndex(backend, merged);
  heap.fill(0, p, p + mr.taps * mc.taps * co * width);
  for (let u = 0; u < mr.taps; u++) {
    for (let rh = 0; rh < sh; rh++) {
      const fh = rh + (mr.taps - 1 - u) * sh;
      if (fh >= kh) continue;
      for (let v = 0; v < mc.taps; v++) {
        for (let rw = 0; rw < sw; rw++) {
          const fw = rw + (mc.taps - 1 - v) * sw;
          if (fw >= kw) continue;
          // Ci × Co block of W (row c) → column block of P (row o, columns (rh·sw + rw)·Ci + c).
          transposeMatrix(heap, w + (fh * kw + fw) * ci * co, co, p + (u * mc.taps + v) * co * width + (rh * sw + rw) * ci, width, ci, co);
        }
      }
    }
  }
  const explicitPad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [mr.padBefore, mr.padAfter],
    [mc.padBefore, mc.padAfter],
    [0, 0],
  ];
  const conv = runWasmKernel(
    "Conv2D",
    backend,
    { x: dy, filter: merged },
    { strides: [1, 1], dilations: [1, 1], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  disposeIntermediate(backend, merged);

  const out = backend.makeOutput([batchSize, inHeight, inWidth, ci], "float32");
  heap = heapF32(backend);
  const src = heapIndex(backend, conv);
  const dst = heapIndex(backend, out);
  const silent = plan.rows.some((r) => r.count > 0 && r.taps === 0) || plan.cols.some((c) => c.count > 0 && c.taps === 0);
  if (silent) heap.fill(0, dst, dst + batchSize * inHeight * inWidth * ci);
  const convRow = mc.convOut * width;
  plan.rows.forEach((row, i) => {
    if (row.count === 0 || row.taps === 0) return;
    plan.cols.forEach((col, j) => {
      if (col.count === 0 || col.taps === 0) return;
      const channel = (row.r * sw + col.r) * ci;
      for (let b = 0; b < batchSize; b++) {
        for (let o = 0; o < row.count; o++) {
          let s = src + (b * mr.convOut + mr.skips[i] + o) * convRow + mc.skips[j] * width + channel;
          let d = dst + ((b * inHeight + row.first + o * sh) * inWidth + col.first) * ci;
          for (let q = 0; q < col.count; q++, s += width, d += sw * ci) {
            for (let c = 0; c < ci; c++) heap[d + c] = heap[s + c];
          }
        }
      }
    });
  });
  disposeIntermediate(backend, conv);
  return out;
}
