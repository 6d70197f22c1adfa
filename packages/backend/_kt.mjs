// _kt.ts
import * as tf12 from "@tensorflow/tfjs-core";

// src/select-backend.ts
import * as tf11 from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

// src/backend-info.ts
import * as tf9 from "@tensorflow/tfjs-core";

// src/kernels/batch-mat-mul.ts
import * as tf3 from "@tensorflow/tfjs-core";

// src/kernels/kernel-registry.ts
import * as tf from "@tensorflow/tfjs-core";
var STOCK_KEY = Symbol.for("@gan/backend:stock-wasm-kernels");
var MARK = Symbol.for("@gan/backend:custom-kernel");
function stockKernels() {
  const holder = globalThis;
  let map = holder[STOCK_KEY];
  if (map == null) {
    map = /* @__PURE__ */ new Map();
    holder[STOCK_KEY] = map;
  }
  return map;
}
function isCustomWasmKernel(kernelName) {
  const current = tf.getKernel(kernelName, "wasm");
  return current?.[MARK] === true;
}
function installWasmKernel(kernelName, kernelFunc) {
  if (isCustomWasmKernel(kernelName)) return false;
  const stock = tf.getKernel(kernelName, "wasm") ?? null;
  stockKernels().set(kernelName, stock);
  if (stock != null) tf.unregisterKernel(kernelName, "wasm");
  const config = {
    kernelName,
    backendName: "wasm",
    kernelFunc,
    // The stock kernel's setup (it binds its C function) must still run, since ours may fall back to it.
    setupFunc: stock?.setupFunc,
    disposeFunc: stock?.disposeFunc,
    [MARK]: true
  };
  tf.registerKernel(config);
  return true;
}
function stockWasmKernel(kernelName) {
  const saved = stockKernels().get(kernelName);
  if (saved != null) return saved;
  if (isCustomWasmKernel(kernelName)) return void 0;
  return tf.getKernel(kernelName, "wasm");
}

// src/kernels/wasm-internals.ts
import * as tf2 from "@tensorflow/tfjs-core";
function runWasmKernel(name, backend2, inputs, attrs = {}) {
  const config = tf2.getKernel(name, "wasm");
  if (config == null) throw new Error(`@gan/backend: the wasm backend has no '${name}' kernel`);
  return config.kernelFunc({ inputs, backend: backend2, attrs });
}
function disposeIntermediate(backend2, info) {
  backend2.disposeData(info.dataId);
}
function heapIndex(backend2, info) {
  return backend2.dataIdMap.get(info.dataId).memoryOffset >>> 2;
}
function heapF32(backend2) {
  const { HEAPF32, wasmMemory } = backend2.wasm;
  if (wasmMemory != null && wasmMemory.buffer !== HEAPF32.buffer) return new Float32Array(wasmMemory.buffer);
  return HEAPF32;
}
function transposeInfo(backend2, x, perm) {
  return runWasmKernel("Transpose", backend2, { x }, { perm });
}
function reshapeInfo(backend2, x, shape) {
  return runWasmKernel("Reshape", backend2, { x }, { shape });
}

// src/kernels/xnn-matmul.ts
var cBatchMatMul = /* @__PURE__ */ new WeakMap();
var cSoftmax = /* @__PURE__ */ new WeakMap();
function cFunction(backend2) {
  let fn = cBatchMatMul.get(backend2.wasm);
  if (fn == null) {
    fn = backend2.wasm.cwrap("BatchMatMul", null, [
      "number",
      // a_id
      "array",
      // a_shape (int32 bytes)
      "number",
      // a_shape length
      "number",
      // b_id
      "array",
      // b_shape
      "number",
      // b_shape length
      "number",
      // transpose_a
      "number",
      // transpose_b
      "number"
      // out_id
    ]);
    cBatchMatMul.set(backend2.wasm, fn);
  }
  return fn;
}
function shapeBytes(shape) {
  return new Uint8Array(new Int32Array(shape).buffer);
}
function matMulAt(backend2, left, right, out, rows, k, cols) {
  const { tfjs } = backend2.wasm;
  const view = (byteOffset2, size) => {
    const id = backend2.dataIdNextNumber++;
    tfjs.registerTensor(id, size, byteOffset2);
    return id;
  };
  const leftId = view(left, rows * k);
  const rightId = view(right, k * cols);
  const outId = view(out, rows * cols);
  try {
    cFunction(backend2)(leftId, shapeBytes([1, rows, k]), 3, rightId, shapeBytes([1, k, cols]), 3, 0, 0, outId);
  } finally {
    tfjs.disposeData(leftId);
    tfjs.disposeData(rightId);
    tfjs.disposeData(outId);
  }
}
function softmaxAt(backend2, src, dst, rows, cols) {
  let fn = cSoftmax.get(backend2.wasm);
  if (fn == null) {
    fn = backend2.wasm.cwrap("Softmax", null, ["number", "number", "number", "number"]);
    cSoftmax.set(backend2.wasm, fn);
  }
  const { tfjs } = backend2.wasm;
  const srcId = backend2.dataIdNextNumber++;
  tfjs.registerTensor(srcId, rows * cols, src);
  const dstId = backend2.dataIdNextNumber++;
  tfjs.registerTensor(dstId, rows * cols, dst);
  try {
    fn(srcId, dstId, cols, rows);
  } finally {
    tfjs.disposeData(srcId);
    tfjs.disposeData(dstId);
  }
}

// src/kernels/batch-mat-mul.ts
var MIN_MACS_PER_PRODUCT = 32 * 1024;
function asRowMajor(backend2, x, batch, r, c, transpose) {
  if (!transpose) return { info: x, batch, rows: r, cols: c, owned: false };
  const x3 = reshapeInfo(backend2, x, [batch, r, c]);
  const t = transposeInfo(backend2, x3, [0, 2, 1]);
  disposeIntermediate(backend2, x3);
  return { info: t, batch, rows: c, cols: r, owned: true };
}
function batchMatMul(args) {
  const { inputs, backend: backend2, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const plan = a.dtype === "float32" && b.dtype === "float32" ? planBatchMatMul(a.shape, b.shape, transposeA, transposeB) : null;
  if (plan == null) {
    const stock = stockWasmKernel("BatchMatMul");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no BatchMatMul kernel");
    return stock.kernelFunc(args);
  }
  const { m, k, n, batchA, batchB, batch, outer } = plan;
  let result;
  if (plan.mode === "direct") {
    const left = asRowMajor(backend2, a, batchA, transposeA ? k : m, transposeA ? m : k, transposeA);
    const right = asRowMajor(backend2, b, batchB, transposeB ? n : k, transposeB ? k : n, transposeB);
    result = productOfStacks(backend2, left, right, batch);
  } else {
    const left = asRowMajor(backend2, b, batchB, transposeB ? n : k, transposeB ? k : n, !transposeB);
    const right = asRowMajor(backend2, a, batchA, transposeA ? k : m, transposeA ? m : k, !transposeA);
    const ct = productOfStacks(backend2, left, right, batch);
    result = transposeInfo(backend2, ct, [0, 2, 1]);
    disposeIntermediate(backend2, ct);
  }
  const shaped = reshapeInfo(backend2, result, [...outer, m, n]);
  disposeIntermediate(backend2, result);
  return shaped;
}
function planBatchMatMul(aShape, bShape, transposeA, transposeB) {
  const aRank = aShape.length;
  const bRank = bShape.length;
  if (aRank < 2 || bRank < 2) return null;
  const m = transposeA ? aShape[aRank - 1] : aShape[aRank - 2];
  const k = transposeA ? aShape[aRank - 2] : aShape[aRank - 1];
  const kB = transposeB ? bShape[bRank - 1] : bShape[bRank - 2];
  const n = transposeB ? bShape[bRank - 2] : bShape[bRank - 1];
  if (k !== kB) return null;
  const batchA = tf3.util.sizeFromShape(aShape.slice(0, -2));
  const batchB = tf3.util.sizeFromShape(bShape.slice(0, -2));
  let outer;
  try {
    outer = tf3.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  } catch {
    return null;
  }
  const batch = tf3.util.sizeFromShape(outer);
  const simpleBroadcast = batch === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1);
  const single = batch === 1 && !transposeA && !transposeB;
  if (!simpleBroadcast || single || m * n * k < MIN_MACS_PER_PRODUCT) return null;
  const direct = (transposeA ? m * k * batchA : 0) + (transposeB ? k * n * batchB : 0);
  const swapped = (transposeB ? 0 : k * n * batchB) + (transposeA ? 0 : m * k * batchA) + m * n * batch;
  return { mode: direct <= swapped ? "direct" : "swapped", m, k, n, batchA, batchB, batch, outer };
}
function productOfStacks(backend2, left, right, batch) {
  const { rows, cols: k } = left;
  const cols = right.cols;
  const out = backend2.makeOutput([batch, rows, cols], "float32");
  const leftBase = backend2.dataIdMap.get(left.info.dataId).memoryOffset;
  const rightBase = backend2.dataIdMap.get(right.info.dataId).memoryOffset;
  const outBase = backend2.dataIdMap.get(out.dataId).memoryOffset;
  try {
    if (right.batch === 1) {
      matMulAt(backend2, leftBase, rightBase, outBase, rows * batch, k, cols);
    } else {
      for (let i = 0; i < batch; i++) {
        const leftAt = leftBase + (left.batch === 1 ? 0 : i * rows * k * 4);
        matMulAt(backend2, leftAt, rightBase + i * k * cols * 4, outBase + i * rows * cols * 4, rows, k, cols);
      }
    }
  } finally {
    if (left.owned) disposeIntermediate(backend2, left.info);
    if (right.owned) disposeIntermediate(backend2, right.info);
  }
  return out;
}

// src/kernels/conv2d-backprop-filter.ts
import * as tf4 from "@tensorflow/tfjs-core";

// src/kernels/heap-copy.ts
var TILE = 32;
function transposeMatrix(heap, src, srcStride, dst, dstStride, rows, cols) {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        let d = dst + c * dstStride + r0;
        let s = src + r0 * srcStride + c;
        for (let r = r0; r < r1; r++, d++, s += srcStride) heap[d] = heap[s];
      }
    }
  }
}
function swapOuterAxes(heap, src, dst, a, b, c) {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const s = src + (i * b + j) * c;
      const d = dst + (j * a + i) * c;
      if (c >= 16) {
        heap.copyWithin(d, s, s + c);
      } else {
        for (let k = 0; k < c; k++) heap[d + k] = heap[s + k];
      }
    }
  }
}
function reverseAxes(heap, src, dst, a, b, c) {
  for (let j = 0; j < b; j++) transposeMatrix(heap, src + j * c, b * c, dst + j * a, b * a, a, c);
}
function swapInnerAxes(heap, src, dst, a, b, c) {
  for (let i = 0; i < a; i++) transposeMatrix(heap, src + i * b * c, c, dst + i * b * c, b, b, c);
}

// src/kernels/conv2d-backprop-filter.ts
function conv2DBackpropFilter({ inputs, backend: backend2, attrs }) {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const format = tf4.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== "channelsLast") {
    throw new Error(`@gan/backend: wasm Conv2DBackpropFilter supports only NHWC data, got ${dataFormat}`);
  }
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error("@gan/backend: wasm Conv2DBackpropFilter supports only float32 tensors");
  }
  const info = tf4.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const xT = backend2.makeOutput([inChannels, inHeight, inWidth, batchSize], "float32");
  const dyT = backend2.makeOutput([outHeight, outWidth, batchSize, outChannels], "float32");
  let heap = heapF32(backend2);
  reverseAxes(heap, heapIndex(backend2, x), heapIndex(backend2, xT), batchSize, inHeight * inWidth, inChannels);
  swapOuterAxes(heap, heapIndex(backend2, dy), heapIndex(backend2, dyT), batchSize, outHeight * outWidth, outChannels);
  const padBottom = kh + (outHeight - 1) * sh - inHeight - padInfo.top;
  const padRight = kw + (outWidth - 1) * sw - inWidth - padInfo.left;
  const explicitPad = [
    [0, 0],
    [padInfo.top, Math.max(0, padBottom)],
    [padInfo.left, Math.max(0, padRight)],
    [0, 0]
  ];
  const grad = runWasmKernel(
    "Conv2D",
    backend2,
    { x: xT, filter: dyT },
    { strides: [1, 1], dilations: [sh, sw], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: void 0 }
  );
  disposeIntermediate(backend2, xT);
  disposeIntermediate(backend2, dyT);
  const [, gh, gw] = grad.shape;
  const dW = backend2.makeOutput([kh, kw, inChannels, outChannels], "float32");
  heap = heapF32(backend2);
  const g = heapIndex(backend2, grad);
  const d = heapIndex(backend2, dW);
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
  disposeIntermediate(backend2, grad);
  return dW;
}

// src/kernels/conv2d-backprop-input.ts
import * as tf5 from "@tensorflow/tfjs-core";
var MAX_WASTE = 6;
function planAxis(kernel, stride, pad, inSize, dySize) {
  const phases = [];
  for (let r = 0; r < stride; r++) {
    const taps = Math.max(0, Math.ceil((kernel - r) / stride));
    const qLo = Math.ceil((pad - r) / stride);
    const qHi = Math.floor((inSize - 1 + pad - r) / stride);
    const count = Math.max(0, qHi - qLo + 1);
    const padBefore = Math.max(0, taps - 1 - qLo);
    const skip = padBefore - (taps - 1 - qLo);
    const padAfter = Math.max(0, skip + count + taps - 1 - padBefore - dySize);
    const convOut = dySize + padBefore + padAfter - taps + 1;
    phases.push({ r, taps, first: qLo * stride + r - pad, count, skip, padBefore, padAfter, convOut });
  }
  return phases;
}
function conv2DBackpropInput(args) {
  const { inputs, backend: backend2, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const format = tf5.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf5.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format
  );
  const plan = dy.dtype === "float32" && filter.dtype === "float32" ? planPhaseConvolution(info) : null;
  if (plan == null) {
    const stock = stockWasmKernel("Conv2DBackpropInput");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no Conv2DBackpropInput kernel");
    return stock.kernelFunc(args);
  }
  return plan.mode === "merged" ? mergedConvolution(backend2, dy, filter, info, plan) : phaseConvolutions(backend2, dy, filter, info, plan.rows, plan.cols);
}
function mergeAxis(phases, dySize) {
  const taps = Math.max(...phases.map((p) => p.taps));
  const qLo = phases.map((p) => p.skip + p.taps - 1 - p.padBefore);
  const padBefore = Math.max(0, ...qLo.map((q) => taps - 1 - q));
  const skips = qLo.map((q) => q + padBefore - taps + 1);
  const needed = Math.max(...phases.map((p, i) => skips[i] + p.count));
  const natural = dySize + padBefore - taps + 1;
  const padAfter = Math.max(0, needed - natural);
  return { taps, padBefore, padAfter, convOut: natural + padAfter, skips };
}
var MERGE_CHANNELS = 32;
function planPhaseConvolution(info) {
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
function phaseConvolutions(backend2, dy, filter, info, rows, cols) {
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterWidth: kw } = info;
  const swapped = backend2.makeOutput([info.filterHeight, kw, co, ci], "float32");
  swapInnerAxes(heapF32(backend2), heapIndex(backend2, filter), heapIndex(backend2, swapped), info.filterHeight * kw, ci, co);
  const out = backend2.makeOutput([batchSize, inHeight, inWidth, ci], "float32");
  const silent = rows.some((p) => p.count > 0 && p.taps === 0) || cols.some((p) => p.count > 0 && p.taps === 0);
  if (silent) heapF32(backend2).fill(0, heapIndex(backend2, out), heapIndex(backend2, out) + batchSize * inHeight * inWidth * ci);
  for (const row of rows) {
    for (const col of cols) {
      if (row.count === 0 || col.count === 0 || row.taps === 0 || col.taps === 0) continue;
      const sub = backend2.makeOutput([row.taps, col.taps, co, ci], "float32");
      let heap = heapF32(backend2);
      const block = co * ci;
      const src = heapIndex(backend2, swapped);
      let dst = heapIndex(backend2, sub);
      for (let u = 0; u < row.taps; u++) {
        const fh = row.r + (row.taps - 1 - u) * sh;
        for (let v = 0; v < col.taps; v++) {
          const fw = col.r + (col.taps - 1 - v) * sw;
          const from = src + (fh * kw + fw) * block;
          heap.copyWithin(dst, from, from + block);
          dst += block;
        }
      }
      const explicitPad = [
        [0, 0],
        [row.padBefore, row.padAfter],
        [col.padBefore, col.padAfter],
        [0, 0]
      ];
      const phase = runWasmKernel(
        "Conv2D",
        backend2,
        { x: dy, filter: sub },
        { strides: [1, 1], dilations: [1, 1], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: void 0 }
      );
      disposeIntermediate(backend2, sub);
      heap = heapF32(backend2);
      const phaseBase = heapIndex(backend2, phase);
      const outBase = heapIndex(backend2, out);
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
      disposeIntermediate(backend2, phase);
    }
  }
  disposeIntermediate(backend2, swapped);
  return out;
}
function mergedConvolution(backend2, dy, filter, info, plan) {
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { mergedRows: mr, mergedCols: mc } = plan;
  const width = sh * sw * ci;
  const merged = backend2.makeOutput([mr.taps, mc.taps, co, width], "float32");
  let heap = heapF32(backend2);
  const w = heapIndex(backend2, filter);
  const p = heapIndex(backend2, merged);
  heap.fill(0, p, p + mr.taps * mc.taps * co * width);
  for (let u = 0; u < mr.taps; u++) {
    for (let rh = 0; rh < sh; rh++) {
      const fh = rh + (mr.taps - 1 - u) * sh;
      if (fh >= kh) continue;
      for (let v = 0; v < mc.taps; v++) {
        for (let rw = 0; rw < sw; rw++) {
          const fw = rw + (mc.taps - 1 - v) * sw;
          if (fw >= kw) continue;
          transposeMatrix(heap, w + (fh * kw + fw) * ci * co, co, p + (u * mc.taps + v) * co * width + (rh * sw + rw) * ci, width, ci, co);
        }
      }
    }
  }
  const explicitPad = [
    [0, 0],
    [mr.padBefore, mr.padAfter],
    [mc.padBefore, mc.padAfter],
    [0, 0]
  ];
  const conv = runWasmKernel(
    "Conv2D",
    backend2,
    { x: dy, filter: merged },
    { strides: [1, 1], dilations: [1, 1], pad: explicitPad, dataFormat: "NHWC", dimRoundingMode: void 0 }
  );
  disposeIntermediate(backend2, merged);
  const out = backend2.makeOutput([batchSize, inHeight, inWidth, ci], "float32");
  heap = heapF32(backend2);
  const src = heapIndex(backend2, conv);
  const dst = heapIndex(backend2, out);
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
  disposeIntermediate(backend2, conv);
  return out;
}

// src/kernels/identity.ts
function identity(args) {
  const { inputs, backend: backend2 } = args;
  const { x } = inputs;
  if (x.dtype === "string") {
    const stock = stockWasmKernel("Identity");
    if (stock == null) throw new Error("@gan/backend: the wasm backend has no Identity kernel");
    return stock.kernelFunc(args);
  }
  backend2.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

// src/kernels/reduce.ts
import * as tf6 from "@tensorflow/tfjs-core";

// src/kernels/simd-kernels.ts
function uleb(n) {
  const out = [];
  do {
    let byte = n & 127;
    n >>>= 7;
    if (n !== 0) byte |= 128;
    out.push(byte);
  } while (n !== 0);
  return out;
}
function sleb(n) {
  const out = [];
  for (; ; ) {
    const byte = n & 127;
    n >>= 7;
    if (n === 0 && (byte & 64) === 0 || n === -1 && (byte & 64) !== 0) {
      out.push(byte);
      return out;
    }
    out.push(byte | 128);
  }
}
var I32 = 127;
var F32 = 125;
var V128 = 123;
var op = {
  get: (i) => [32, ...uleb(i)],
  set: (i) => [33, ...uleb(i)],
  tee: (i) => [34, ...uleb(i)],
  i32: (v) => [65, ...sleb(v)],
  f32zero: [67, 0, 0, 0, 0],
  add: [106],
  sub: [107],
  mul: [108],
  and: [113],
  shl: [116],
  geS: [78],
  ltS: [72],
  select: [27],
  fadd: [146],
  fsub: [147],
  fmul: [148],
  fload: [42, 2, 0],
  fstore: [56, 2, 0],
  vload: [253, 0, 4, 0],
  vstore: [253, 11, 4, 0],
  vsplat: [253, 19],
  vlane: (l) => [253, 31, l],
  vadd: [253, 228, 1],
  vsub: [253, 229, 1],
  vmul: [253, 230, 1],
  shuffle: (lanes) => [253, 13, ...lanes],
  /** `block loop (exit when cond) body (continue) end end`; `cond` leaves an i32 on the stack. */
  whileNot: (cond, body) => [2, 64, 3, 64, ...cond, 13, 1, ...body, 12, 0, 11, 11]
};
function forLoop(v, from, end, step, body) {
  return [...from, ...op.set(v), ...op.whileNot([...op.get(v), ...end, ...op.geS], [...body, ...op.get(v), ...op.i32(step), ...op.add, ...op.set(v)])];
}
function softmaxGradRowsFunc() {
  const [a, s, rows, cols] = [0, 1, 2, 3];
  const [r, i, pa, ps, end, end4] = [4, 5, 6, 7, 8, 9];
  const dot = 10;
  const acc = 11;
  const dotv = 12;
  const ldA = [...op.get(pa), ...op.get(i), ...op.add];
  const ldS = [...op.get(ps), ...op.get(i), ...op.add];
  const row = [
    // pa = a + r·cols·4, ps = s + r·cols·4
    ...op.get(r),
    ...op.get(cols),
    ...op.mul,
    ...op.i32(2),
    ...op.shl,
    ...op.tee(pa),
    ...op.get(s),
    ...op.add,
    ...op.set(ps),
    ...op.get(pa),
    ...op.get(a),
    ...op.add,
    ...op.set(pa),
    ...op.get(cols),
    ...op.i32(2),
    ...op.shl,
    ...op.set(end),
    ...op.get(cols),
    ...op.i32(-4),
    ...op.and,
    ...op.i32(2),
    ...op.shl,
    ...op.set(end4),
    ...op.f32zero,
    ...op.vsplat,
    ...op.set(acc),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...op.get(acc),
      ...ldA,
      ...op.vload,
      ...ldS,
      ...op.vload,
      ...op.vmul,
      ...op.vadd,
      ...op.set(acc)
    ]),
    ...op.get(acc),
    ...op.vlane(0),
    ...op.get(acc),
    ...op.vlane(1),
    ...op.fadd,
    ...op.get(acc),
    ...op.vlane(2),
    ...op.get(acc),
    ...op.vlane(3),
    ...op.fadd,
    ...op.fadd,
    ...op.set(dot),
    // scalar tail of the dot product (i continues from end4)
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...op.get(dot),
      ...ldA,
      ...op.fload,
      ...ldS,
      ...op.fload,
      ...op.fmul,
      ...op.fadd,
      ...op.set(dot),
      ...op.get(i),
      ...op.i32(4),
      ...op.add,
      ...op.set(i)
    ]),
    ...op.get(dot),
    ...op.vsplat,
    ...op.set(dotv),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...ldS,
      ...ldA,
      ...op.vload,
      ...ldS,
      ...op.vload,
      ...op.get(dotv),
      ...op.vsub,
      ...op.vmul,
      ...op.vstore
    ]),
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...ldS,
      ...ldA,
      ...op.fload,
      ...ldS,
      ...op.fload,
      ...op.get(dot),
      ...op.fsub,
      ...op.fmul,
      ...op.fstore,
      ...op.get(i),
      ...op.i32(4),
      ...op.add,
      ...op.set(i)
    ])
  ];
  return { params: 4, locals: [I32, I32, I32, I32, I32, I32, F32, V128, V128], body: forLoop(r, op.i32(0), op.get(rows), 1, row) };
}
function transposeFunc() {
  const [src, ss, dst, ds, rows, cols] = [0, 1, 2, 3, 4, 5];
  const [r, c, rows4, cols4, p, r0, c0, rEnd, cEnd] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [v0, v1, v2, v3, t0, t1, t2, t3] = [15, 16, 17, 18, 19, 20, 21, 22];
  const TILE2 = 16;
  const tileEnd = (local, from, limit) => [
    ...op.get(from),
    ...op.i32(TILE2),
    ...op.add,
    ...op.get(limit),
    ...op.get(from),
    ...op.i32(TILE2),
    ...op.add,
    ...op.get(limit),
    ...op.ltS,
    ...op.select,
    ...op.set(local)
  ];
  const at = (base, stride, row, col) => [
    ...row,
    ...op.get(stride),
    ...op.mul,
    ...col,
    ...op.add,
    ...op.i32(2),
    ...op.shl,
    ...op.get(base),
    ...op.add
  ];
  const lo = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
  const hi = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  const lo64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const hi64 = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
  const colPlus = (k) => [...op.get(c), ...op.i32(k), ...op.add];
  const block = [
    // p = address of (r, c) in src; rows r..r+3 are p, p + ss·4, ...
    ...at(src, ss, op.get(r), op.get(c)),
    ...op.set(p),
    ...op.get(p),
    ...op.vload,
    ...op.set(v0),
    ...op.get(p),
    ...op.get(ss),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
    ...op.tee(p),
    ...op.vload,
    ...op.set(v1),
    ...op.get(p),
    ...op.get(ss),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
    ...op.tee(p),
    ...op.vload,
    ...op.set(v2),
    ...op.get(p),
    ...op.get(ss),
    ...op.i32(2),
    ...op.shl,
    ...op.add,
    ...op.vload,
    ...op.set(v3),
    ...op.get(v0),
    ...op.get(v1),
    ...op.shuffle(lo),
    ...op.set(t0),
    ...op.get(v0),
    ...op.get(v1),
    ...op.shuffle(hi),
    ...op.set(t1),
    ...op.get(v2),
    ...op.get(v3),
    ...op.shuffle(lo),
    ...op.set(t2),
    ...op.get(v2),
    ...op.get(v3),
    ...op.shuffle(hi),
    ...op.set(t3),
    ...at(dst, ds, op.get(c), op.get(r)),
    ...op.get(t0),
    ...op.get(t2),
    ...op.shuffle(lo64),
    ...op.vstore,
    ...at(dst, ds, colPlus(1), op.get(r)),
    ...op.get(t0),
    ...op.get(t2),
    ...op.shuffle(hi64),
    ...op.vstore,
    ...at(dst, ds, colPlus(2), op.get(r)),
    ...op.get(t1),
    ...op.get(t3),
    ...op.shuffle(lo64),
    ...op.vstore,
    ...at(dst, ds, colPlus(3), op.get(r)),
    ...op.get(t1),
    ...op.get(t3),
    ...op.shuffle(hi64),
    ...op.vstore
  ];
  const scalar = [...at(dst, ds, op.get(c), op.get(r)), ...at(src, ss, op.get(r), op.get(c)), ...op.fload, ...op.fstore];
  const body = [
    ...op.get(rows),
    ...op.i32(-4),
    ...op.and,
    ...op.set(rows4),
    ...op.get(cols),
    ...op.i32(-4),
    ...op.and,
    ...op.set(cols4),
    // 4×4 blocks in TILE × TILE tiles (power-of-two strides would otherwise evict the destination rows)
    ...forLoop(r0, op.i32(0), op.get(rows4), TILE2, [
      ...tileEnd(rEnd, r0, rows4),
      ...forLoop(c0, op.i32(0), op.get(cols4), TILE2, [
        ...tileEnd(cEnd, c0, cols4),
        ...forLoop(r, op.get(r0), op.get(rEnd), 4, forLoop(c, op.get(c0), op.get(cEnd), 4, block))
      ])
    ]),
    // right edge: columns cols4..cols of rows 0..rows4
    ...forLoop(r, op.i32(0), op.get(rows4), 1, forLoop(c, op.get(cols4), op.get(cols), 1, scalar)),
    // bottom edge: rows rows4..rows, every column
    ...forLoop(r, op.get(rows4), op.get(rows), 1, forLoop(c, op.i32(0), op.get(cols), 1, scalar))
  ];
  return { params: 6, locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128], body };
}
function colSumsFunc() {
  const [src, rows, cols, dst] = [0, 1, 2, 3];
  const [r, i, end, end4, row] = [4, 5, 6, 7, 8];
  const dAt = [...op.get(dst), ...op.get(i), ...op.add];
  const sAt = [...op.get(row), ...op.get(i), ...op.add];
  const body = [
    ...op.get(cols),
    ...op.i32(2),
    ...op.shl,
    ...op.set(end),
    ...op.get(cols),
    ...op.i32(-4),
    ...op.and,
    ...op.i32(2),
    ...op.shl,
    ...op.set(end4),
    ...forLoop(i, op.i32(0), op.get(end), 4, [...dAt, ...op.f32zero, ...op.fstore]),
    ...forLoop(r, op.i32(0), op.get(rows), 1, [
      ...op.get(r),
      ...op.get(end),
      ...op.mul,
      ...op.get(src),
      ...op.add,
      ...op.set(row),
      ...forLoop(i, op.i32(0), op.get(end4), 16, [...dAt, ...dAt, ...op.vload, ...sAt, ...op.vload, ...op.vadd, ...op.vstore]),
      ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
        ...dAt,
        ...dAt,
        ...op.fload,
        ...sAt,
        ...op.fload,
        ...op.fadd,
        ...op.fstore,
        ...op.get(i),
        ...op.i32(4),
        ...op.add,
        ...op.set(i)
      ])
    ])
  ];
  return { params: 4, locals: [I32, I32, I32, I32, I32], body };
}
function assembleSimdModule(shared) {
  const funcs = [
    ["softmaxGradRows", softmaxGradRowsFunc()],
    ["transpose", transposeFunc()],
    ["colSums", colSumsFunc()]
  ];
  const section = (id, content) => [id, ...uleb(content.length), ...content];
  const vec = (items) => [...uleb(items.length), ...items.flat()];
  const str = (s) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const types = vec(funcs.map(([, f]) => [96, ...uleb(f.params), ...new Array(f.params).fill(I32), 0]));
  const limits = shared ? [3, ...uleb(1), ...uleb(65536)] : [0, ...uleb(1)];
  const memory = [...str("env"), ...str("memory"), 2, ...limits];
  const functions = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.map(([name], i) => [...str(name), 0, ...uleb(i)]));
  const codes = vec(
    funcs.map(([, f]) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body, 11];
      return [...uleb(body.length), ...body];
    })
  );
  return new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    ...section(1, types),
    ...section(2, vec([memory])),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, codes)
  ]);
}
function webAssemblyApi() {
  return globalThis.WebAssembly;
}
var instances = /* @__PURE__ */ new WeakMap();
function simdKernels(backend2) {
  const module = backend2.wasm;
  if (instances.has(module)) return instances.get(module) ?? null;
  let kernels = null;
  try {
    const memory = module.wasmMemory ?? module.asm?.memory;
    const disabled = typeof process !== "undefined" && process.env?.GAN_WASM_NO_SIMD_KERNELS === "1";
    const api = webAssemblyApi();
    if (memory != null && api != null && !disabled) {
      const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
      const instance = new api.Instance(new api.Module(assembleSimdModule(shared)), { env: { memory } });
      kernels = instance.exports;
    }
  } catch {
    kernels = null;
  }
  instances.set(module, kernels);
  return kernels;
}

// src/kernels/reduce.ts
function leadingAxesReduction(shape, axis) {
  const axes = [...new Set(tf6.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length || axes.some((a, i) => a !== i)) return null;
  const rows = tf6.util.sizeFromShape(shape.slice(0, axes.length));
  const cols = tf6.util.sizeFromShape(shape.slice(axes.length));
  return { rows, cols };
}
function reduceLeading(args, kernelName) {
  const { inputs, backend: backend2, attrs } = args;
  const { x } = inputs;
  const { axis, keepDims } = attrs;
  const plan = x.dtype === "float32" ? leadingAxesReduction(x.shape, axis) : null;
  if (plan == null || plan.rows === 0 || plan.cols === 0) {
    const stock = stockWasmKernel(kernelName);
    if (stock == null) throw new Error(`@gan/backend: the wasm backend has no ${kernelName} kernel`);
    return stock.kernelFunc(args);
  }
  const { rows, cols } = plan;
  const axes = tf6.util.parseAxisParam(axis, x.shape);
  const outShape = keepDims ? x.shape.map((d, i) => axes.includes(i) ? 1 : d) : x.shape.slice(axes.length);
  const out = backend2.makeOutput(outShape, "float32");
  const src = heapIndex(backend2, x);
  const dst = heapIndex(backend2, out);
  const simd = simdKernels(backend2);
  const heap = heapF32(backend2);
  if (simd != null) {
    simd.colSums(4 * src, rows, cols, 4 * dst);
  } else {
    heap.fill(0, dst, dst + cols);
    for (let r = 0; r < rows; r++) {
      const row = src + r * cols;
      for (let c = 0; c < cols; c++) heap[dst + c] += heap[row + c];
    }
  }
  if (kernelName === "Mean") {
    for (let c = 0; c < cols; c++) heap[dst + c] = heap[dst + c] / rows;
  }
  return out;
}
function sum(args) {
  return reduceLeading(args, "Sum");
}
function mean(args) {
  return reduceLeading(args, "Mean");
}

// src/kernels/fused-attention.ts
var FUSED_ATTENTION = "GanFusedAttention";
var FUSED_ATTENTION_GRAD = "GanFusedAttentionGrad";
function checkShapes(query, key, value, name) {
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
function transposer(backend2) {
  const simd = simdKernels(backend2);
  return (src, srcStride, dst, dstStride, rows, cols) => {
    if (simd != null) simd.transpose(4 * src, srcStride, 4 * dst, dstStride, rows, cols);
    else transposeMatrix(heapF32(backend2), src, srcStride, dst, dstStride, rows, cols);
  };
}
function softmaxGradRows(backend2, a, s, rows, cols) {
  const simd = simdKernels(backend2);
  if (simd != null) {
    simd.softmaxGradRows(4 * a, 4 * s, rows, cols);
    return;
  }
  const heap = heapF32(backend2);
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
function byteOffset(backend2, info) {
  return backend2.dataIdMap.get(info.dataId).memoryOffset;
}
function fusedAttention({ inputs, backend: backend2 }) {
  const { query, key, value } = inputs;
  const { batch, n, d, c } = checkShapes(query, key, value, FUSED_ATTENTION);
  const out = backend2.makeOutput([batch, n, c], "float32");
  if (batch * n * c === 0) return out;
  const scratch = [
    backend2.makeOutput([d, n], "float32"),
    // queryᵀ of one element
    backend2.makeOutput([n, n], "float32"),
    // scores
    backend2.makeOutput([n, n], "float32")
    // attention
  ];
  const [qT, scores, attention] = scratch;
  try {
    const q = heapIndex(backend2, query);
    const qTAt = heapIndex(backend2, qT);
    const kByte = byteOffset(backend2, key);
    const vByte = byteOffset(backend2, value);
    const outByte = byteOffset(backend2, out);
    const [qTByte, sByte, aByte] = scratch.map((t) => byteOffset(backend2, t));
    const transpose = transposer(backend2);
    for (let b = 0; b < batch; b++) {
      transpose(q + b * n * d, d, qTAt, n, n, d);
      matMulAt(backend2, kByte + 4 * b * n * d, qTByte, sByte, n, d, n);
      softmaxAt(backend2, sByte, aByte, n, n);
      matMulAt(backend2, aByte, vByte + 4 * b * n * c, outByte + 4 * b * n * c, n, n, c);
    }
  } finally {
    for (const t of scratch) disposeIntermediate(backend2, t);
  }
  return out;
}
function fusedAttentionGrad({ inputs, backend: backend2 }) {
  const { query, key, value, dy } = inputs;
  const { batch, n, d, c } = checkShapes(query, key, value, FUSED_ATTENTION_GRAD);
  if (dy.shape.length !== 3 || dy.shape[0] !== batch || dy.shape[1] !== n || dy.shape[2] !== c) {
    throw new Error(`@gan/backend: ${FUSED_ATTENTION_GRAD}: dy [${dy.shape}] does not match value [${value.shape}]`);
  }
  const dq = backend2.makeOutput([batch, n, d], "float32");
  const dk = backend2.makeOutput([batch, n, d], "float32");
  const dv = backend2.makeOutput([batch, n, c], "float32");
  if (batch * n === 0) return [dq, dk, dv];
  const scratch = [
    backend2.makeOutput([d, n], "float32"),
    // queryᵀ
    backend2.makeOutput([c, n], "float32"),
    // valueᵀ
    backend2.makeOutput([n, n], "float32"),
    // scores, then dA, then dS
    backend2.makeOutput([n, n], "float32"),
    // attention
    backend2.makeOutput([n, n], "float32")
    // attentionᵀ, then dSᵀ
  ];
  try {
    const [qTAt, vTAt, sAt, aAt, tAt] = scratch.map((t) => heapIndex(backend2, t));
    const [qTByte, vTByte, sByte, aByte, tByte] = scratch.map((t) => byteOffset(backend2, t));
    const q = heapIndex(backend2, query);
    const v = heapIndex(backend2, value);
    const [qByte, kByte, gByte, dqByte, dkByte, dvByte] = [query, key, dy, dq, dk, dv].map((t) => byteOffset(backend2, t));
    const transpose = transposer(backend2);
    for (let b = 0; b < batch; b++) {
      const nd = b * n * d;
      const nc = b * n * c;
      transpose(q + nd, d, qTAt, n, n, d);
      transpose(v + nc, c, vTAt, n, n, c);
      matMulAt(backend2, kByte + 4 * nd, qTByte, sByte, n, d, n);
      softmaxAt(backend2, sByte, aByte, n, n);
      transpose(aAt, n, tAt, n, n, n);
      matMulAt(backend2, tByte, gByte + 4 * nc, dvByte + 4 * nc, n, n, c);
      matMulAt(backend2, gByte + 4 * nc, vTByte, sByte, n, c, n);
      softmaxGradRows(backend2, aAt, sAt, n, n);
      matMulAt(backend2, sByte, qByte + 4 * nd, dkByte + 4 * nd, n, n, d);
      transpose(sAt, n, tAt, n, n, n);
      matMulAt(backend2, tByte, kByte + 4 * nd, dqByte + 4 * nd, n, n, d);
    }
  } finally {
    for (const t of scratch) disposeIntermediate(backend2, t);
  }
  return [dq, dk, dv];
}

// src/register-training-kernels.ts
var TRAINING_KERNELS = [
  {
    name: "Conv2DBackpropFilter",
    reason: "missing on wasm (weight gradients of convolutions throw); added as an XNNPACK convolution",
    kernel: conv2DBackpropFilter
  },
  {
    name: "Conv2DBackpropInput",
    reason: "stock kernel is a scalar loop; stride phases run as one XNNPACK convolution",
    kernel: conv2DBackpropInput
  },
  {
    name: "BatchMatMul",
    reason: "stock kernel loops in scalar code for batch > 1 or transposes; now XNNPACK per product",
    kernel: batchMatMul
  },
  {
    name: "Identity",
    reason: "stock kernel copies every element; ours shares the data, reference-counted (as Reshape does)",
    kernel: identity
  },
  {
    name: "Sum",
    reason: "stock kernel transposes the whole tensor before reducing leading axes (BatchNorm, bias gradients); ours sums columns in place",
    kernel: sum
  },
  {
    name: "Mean",
    reason: "as Sum",
    kernel: mean
  },
  {
    name: FUSED_ATTENTION,
    reason: "new: self-attention output without materialising the [B, N, N] map (SelfAttention2d uses it when no map is asked for)",
    kernel: fusedAttention
  },
  {
    name: FUSED_ATTENTION_GRAD,
    reason: "new: its gradient, recomputing the attention per batch element instead of keeping it",
    kernel: fusedAttentionGrad
  }
];
function registerTrainingKernels() {
  const installed = [];
  for (const { name, kernel } of TRAINING_KERNELS) {
    if (installWasmKernel(name, kernel)) installed.push(name);
  }
  return installed;
}
function trainingKernelsRegistered() {
  return TRAINING_KERNELS.every(({ name }) => isCustomWasmKernel(name));
}

// src/wasm-backend.ts
import * as tf8 from "@tensorflow/tfjs-core";
import * as wasm2 from "@tensorflow/tfjs-backend-wasm";
import os2 from "node:os";

// src/wasm-threads.ts
import * as tf7 from "@tensorflow/tfjs-core";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { fileURLToPath } from "node:url";
var MAX_WASM_THREADS = 8;
var THREADED_SCRIPT = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";
function workerPath() {
  return fileURLToPath(new URL("./wasm-thread-worker.cjs", import.meta.url));
}
async function threadedWasmUnavailable() {
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is unavailable";
  if (!await tf7.env().getAsync("WASM_HAS_SIMD_SUPPORT")) return "the threaded build needs WebAssembly SIMD";
  if (!existsSync(workerPath())) return `the worker script ${workerPath()} is missing`;
  return null;
}
function threadedWasmFactory(threads) {
  const count = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  return async () => {
    const require2 = createRequire(import.meta.url);
    const script = require2.resolve(THREADED_SCRIPT);
    const factory = require2(script);
    wasm.setThreadsCount(count);
    const nodeOs = os;
    const realCpus = nodeOs.cpus;
    const cpus = realCpus();
    if (cpus.length < 2 * count) nodeOs.cpus = () => Array.from({ length: 2 * count }, (_, i) => cpus[i % cpus.length]);
    let module;
    try {
      module = await factory({
        mainScriptUrlOrBlob: script,
        locateFile: (path2, prefix) => path2.endsWith(".worker.js") ? workerPath() : prefix + path2
      });
    } finally {
      nodeOs.cpus = realCpus;
    }
    module.tfjs = {
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, [])
    };
    const backend2 = new wasm.BackendWasm(module);
    for (const worker of module.PThread?.runningWorkers ?? []) worker.unref?.();
    tf7.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    return backend2;
  };
}

// src/wasm-backend.ts
async function startWasmBackend(options = {}) {
  registerTrainingKernels();
  const warnings = [];
  try {
    const started = tf8.findBackend("wasm") != null;
    const threads = resolveThreads(options.threads ?? "auto");
    if (!started && options.wasmPaths != null) wasm2.setWasmPaths(options.wasmPaths);
    if (!started && threads > 1) {
      const threaded = await startThreaded(threads);
      if (threaded === true) return { ok: true, warnings };
      warnings.push(`the multithreaded wasm build could not start (${threaded}); using one thread`);
    } else if (started && options.threads != null && options.threads !== "auto" && wasmThreadCount() !== threads) {
      warnings.push(`the wasm backend already runs with ${wasmThreadCount()} thread(s); threads are chosen at its first start`);
    }
    const ok = await tf8.setBackend("wasm");
    if (!ok) return { ok: false, error: "tfjs could not initialise the wasm backend (its warning above says why)" };
    return { ok: true, warnings };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
function resolveThreads(threads) {
  const wanted = threads === "auto" ? os2.availableParallelism() : threads;
  if (!Number.isFinite(wanted)) throw new Error(`@gan/backend: threads must be a number or 'auto', got ${threads}`);
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(wanted)));
}
async function startThreaded(threads) {
  const unavailable = await threadedWasmUnavailable();
  if (unavailable != null) return unavailable;
  const stockFactory = tf8.findBackendFactory("wasm");
  tf8.removeBackend("wasm");
  const factory = threadedWasmFactory(threads);
  let failure = null;
  tf8.registerBackend(
    "wasm",
    async () => {
      try {
        return await factory();
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    2
  );
  try {
    if (await tf8.setBackend("wasm")) return true;
    failure ??= "tfjs could not initialise it";
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  tf8.removeBackend("wasm");
  if (stockFactory != null) tf8.registerBackend("wasm", stockFactory, 2);
  return failure ?? "unknown failure";
}
function wasmSimd() {
  return cachedFlag("WASM_HAS_SIMD_SUPPORT");
}
function wasmMultithreaded() {
  return cachedFlag("WASM_HAS_MULTITHREAD_SUPPORT");
}
function wasmThreadCount() {
  try {
    return wasm2.getThreadsCount();
  } catch {
    return null;
  }
}
function cachedFlag(name) {
  const value = tf8.env().getFlags()[name];
  return typeof value === "boolean" ? value : null;
}

// src/backend-info.ts
function backendInfo() {
  const name = tf9.getBackend();
  const isWasm = name === "wasm";
  const native = name === "tensorflow" ? tf9.backend() : null;
  return {
    name,
    tfjsVersion: tf9.version_core,
    simd: isWasm ? wasmSimd() : null,
    threads: isWasm ? wasmMultithreaded() : null,
    threadCount: isWasm ? wasmThreadCount() : null,
    gpu: native != null && typeof native.isUsingGpuDevice === "boolean" ? native.isUsingGpuDevice : null,
    trainingKernels: isWasm ? trainingKernelsRegistered() : null
  };
}
function describeBackend(info) {
  const parts = [`tfjs ${info.tfjsVersion}`];
  if (info.simd != null) parts.push(info.simd ? "SIMD" : "no SIMD");
  if (info.threadCount != null) parts.push(`${info.threadCount} thread${info.threadCount === 1 ? "" : "s"}`);
  if (info.gpu != null) parts.push(info.gpu ? "GPU" : "CPU only");
  if (info.trainingKernels != null) parts.push(info.trainingKernels ? "training kernels" : "stock kernels");
  return `${info.name} (${parts.join(", ")})`;
}

// src/load-optional.ts
import { createRequire as createRequire2 } from "node:module";
import * as path from "node:path";
function defaultModuleLoader(packageName) {
  const errors = [];
  for (const base of [moduleBase(), path.join(process.cwd(), "noop.js")]) {
    try {
      return createRequire2(base)(packageName);
    } catch (error) {
      if (!isNotFound(error, packageName)) throw error;
      errors.push(error);
    }
  }
  throw errors[errors.length - 1];
}
function isNotFound(error, packageName) {
  const e = error;
  return e?.code === "MODULE_NOT_FOUND" && typeof e.message === "string" && e.message.includes(`'${packageName}'`);
}
function moduleBase() {
  return import.meta.url;
}

// src/native-backend.ts
import * as tf10 from "@tensorflow/tfjs-core";
var NATIVE_PACKAGES = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node"
};
var BackendUnavailableError = class extends Error {
  /** The npm package that provides the backend, if it is a package one can install. */
  packageName;
  constructor(message, packageName) {
    super(message);
    this.name = "BackendUnavailableError";
    this.packageName = packageName;
  }
};
async function startNativeBackend(name, load) {
  const packageName = NATIVE_PACKAGES[name];
  let loaded;
  try {
    loaded = load(packageName);
  } catch (error) {
    const installed = !isNotFound(error, packageName);
    return { ok: false, installed, packageName, error: error instanceof Error ? error.message : String(error) };
  }
  if (tf10.findBackendFactory("tensorflow") == null) {
    return { ok: false, installed: true, packageName, error: `${packageName} loaded but registered no 'tensorflow' backend` };
  }
  let ok = false;
  try {
    ok = await tf10.setBackend("tensorflow");
  } catch (error) {
    return { ok: false, installed: true, packageName, error: error instanceof Error ? error.message : String(error) };
  }
  if (!ok) return { ok: false, installed: true, packageName, error: "tfjs could not initialise its 'tensorflow' backend" };
  const version = loaded?.version?.["tfjs-node"];
  return { ok: true, packageName, version };
}
function notInstalledMessage(name) {
  const packageName = NATIVE_PACKAGES[name];
  const gpu = name === "tensorflow-gpu" ? " It needs Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 (what its libtensorflow 2.9 is built for)." : "";
  return `@gan/backend: the '${name}' backend needs ${packageName}, which is not installed. Install it in your project with \`npm install ${packageName}\` (its install script downloads libtensorflow).${gpu} Or use the 'auto' or 'wasm' backend, which need nothing more.`;
}

// src/select-backend.ts
var CPU_WARNING = "the plain cpu backend computes convolution weight gradients at about 0.014 GFLOP/s: one DCGAN training step at batch 64 takes many minutes. Fine for inference and tiny tests, not for training.";
var WASM_WHY = "wasm runs convolutions and matrix products in XNNPACK (SIMD), and @gan/backend adds the kernels it lacks for training; it trains 10\u2013100\xD7 faster than the plain cpu backend";
async function selectBackend(name = "auto", options = {}) {
  const log = options.log ?? console.log;
  const warn = options.warn ?? console.warn;
  const load = options.loadModule ?? defaultModuleLoader;
  let chosen;
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow":
      chosen = await selectNative(name, load);
      break;
    case "wasm": {
      const started = await startWasmBackend(options);
      if (!started.ok) throw new BackendUnavailableError(`@gan/backend: the wasm backend failed to start: ${started.error}`);
      for (const warning of started.warnings) warn(`[@gan/backend] WARNING: ${warning}`);
      chosen = selected("wasm", `asked for wasm; ${WASM_WHY}`);
      break;
    }
    case "cpu":
      await setBackendOrThrow("cpu");
      chosen = selected("cpu", "asked for cpu");
      warn(`[@gan/backend] WARNING: ${CPU_WARNING}`);
      break;
    case "auto":
      chosen = await selectAuto(options, load, log, warn);
      break;
    default:
      throw new Error(`@gan/backend: unknown backend '${String(name)}' (expected auto, tensorflow-gpu, tensorflow, wasm or cpu)`);
  }
  log(`[@gan/backend] using ${describeBackend(backendInfo())}: ${chosen.reason}`);
  return chosen;
}
async function selectNative(name, load) {
  const result = await startNativeBackend(name, load);
  if (!result.ok) {
    if (!result.installed) throw new BackendUnavailableError(notInstalledMessage(name), result.packageName);
    throw new BackendUnavailableError(
      `@gan/backend: ${result.packageName} is installed but could not be used: ${result.error}`,
      result.packageName
    );
  }
  return selected(name, `asked for ${name} (${nativeLabel(result)})`);
}
async function selectAuto(options, load, log, warn) {
  const missing = [];
  for (const native of ["tensorflow-gpu", "tensorflow"]) {
    const result = await startNativeBackend(native, load);
    if (result.ok) {
      const fallback = missing.length > 0 ? `; ${missing.join(", ")}` : "";
      return selected(native, `${nativeLabel(result)} is installed: libtensorflow is the fastest backend${fallback}`);
    }
    if (result.installed) {
      log(`[@gan/backend] ${result.packageName} is installed but could not be used (${result.error}); trying the next backend`);
      missing.push(`${result.packageName} failed to load`);
    } else {
      missing.push(`${result.packageName} is not installed`);
    }
  }
  const wasm3 = await startWasmBackend(options);
  if (wasm3.ok) {
    for (const warning of wasm3.warnings) warn(`[@gan/backend] WARNING: ${warning}`);
    return selected("wasm", `${missing.join(" and ")}; ${WASM_WHY}`);
  }
  await setBackendOrThrow("cpu");
  warn(
    `[@gan/backend] WARNING: the wasm backend failed to start (${wasm3.error}), so the plain cpu backend is used: ${CPU_WARNING} Install ${NATIVE_PACKAGES.tensorflow} or fix wasm to train at a usable speed.`
  );
  return selected("cpu", `${missing.join(" and ")}, and wasm failed to start (${wasm3.error})`);
}
function nativeLabel(result) {
  return result.version != null ? `${result.packageName} ${result.version}` : result.packageName;
}
function selected(name, reason) {
  return { name, tfjsBackend: tf11.getBackend(), reason };
}
async function setBackendOrThrow(name) {
  const ok = await tf11.setBackend(name);
  if (!ok) throw new BackendUnavailableError(`@gan/backend: tfjs could not initialise the '${name}' backend`);
}

// _kt.ts
await selectBackend("wasm", { log: () => {
}, warn: () => {
}, threads: Number(process.env.THREADS ?? 1) });
for (const [b, n, d, c] of [[64, 1024, 8, 64], [64, 256, 16, 128], [64, 64, 32, 256], [64, 16, 64, 512]]) {
  const query = tf12.randomNormal([b, n, d]), key = tf12.randomNormal([b, n, d]), value = tf12.randomNormal([b, n, c]), dy = tf12.randomNormal([b, n, c]);
  const time = (name, f) => {
    tf12.dispose(f());
    const t0 = performance.now();
    const reps = 2;
    for (let i = 0; i < reps; i++) {
      const r = f();
      (Array.isArray(r) ? r[0] : r).dataSync();
      tf12.dispose(r);
    }
    console.log(`${name} N=${n}: ${((performance.now() - t0) / reps).toFixed(0)} ms`);
  };
  time("fwd ", () => tf12.engine().runKernel("GanFusedAttention", { query, key, value }));
  time("grad", () => tf12.engine().runKernel("GanFusedAttentionGrad", { query, key, value, dy }));
  tf12.dispose([query, key, value, dy]);
}
