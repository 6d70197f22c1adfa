// A few WebAssembly SIMD loops of our own, working in place on the wasm backend's heap: the element-wise and
// data-movement steps that the custom kernels would otherwise run in plain JS (≈4–10 ns per element on the
// 2-vCPU machine this was measured on; ≈0.3–1 here). The module is a few hundred bytes, assembled below from
// opcodes (no toolchain needed), and imports the backend's own memory, so every argument is a byte offset
// into the tensors' data. Where WebAssembly SIMD or the memory is not available the callers use their JS
// loops (see {@link simdKernels}).
import { transposeMatrix } from "./heap-copy";
import { type WasmBackend, disposeIntermediate, heapF32, heapIndex } from "./wasm-internals";

/** The exported functions; all offsets are in bytes, strides and sizes in float32 elements. */
export interface SimdKernels {
  /**
   * Softmax backward, row by row, in place: for each of `rows` rows of `cols` floats,
   * `s[i] = a[i]·(s[i] − Σ_k a[k]·s[k])` (a: the softmax output, s: its output gradient on entry, the logits'
   * gradient on return).
   */
  softmaxGradRows(a: number, s: number, rows: number, cols: number): void;
  /** `dst[c·dstStride + r] = src[r·srcStride + c]` for r < rows, c < cols (4×4 SIMD blocks, scalar edges). */
  transpose(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number): void;
  /**
   * Column sums of a `rows` × `cols` matrix: `dst[c] = Σ_r src[r·cols + c]`, accumulated in float32 from r = 0
   * up (the order of the stock wasm `Sum` after its transpose, so the results are the same).
   */
  colSums(src: number, rows: number, cols: number, dst: number): void;
  /** LeakyReLU's input gradient: `out[i] = x[i] > 0 ? dy[i] : dy[i]·alpha` for i < size. */
  leakyReluGrad(x: number, dy: number, out: number, size: number, alpha: number): void;
  /** LeakyReLU: `out[i] = x[i] < 0 ? x[i]·alpha : x[i]` for i < size. */
  leakyRelu(x: number, out: number, size: number, alpha: number): void;
  /**
   * One Adam update in one pass, as tfjs's `AdamOptimizer` computes it op by op (the same float32 operations in
   * the same order, so the same bits): `m' = m·beta1 + g·oneMinusBeta1`, `v' = v·beta2 + g²·oneMinusBeta2`,
   * `x' = (m'/oneMinusAccBeta1) / (sqrt(v'/oneMinusAccBeta2) + epsilon) · negLr + x`, written to `outX`,
   * `outM`, `outV` for i < size.
   */
  adamUpdate(
    x: number,
    m: number,
    v: number,
    g: number,
    outX: number,
    outM: number,
    outV: number,
    size: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    epsilon: number,
    negLr: number,
  ): void;
}

// --- a minimal assembler -------------------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Instruction helpers (each returns bytes). */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32zero: [0x43, 0, 0, 0, 0],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shl: [0x74],
  geS: [0x4e],
  ltS: [0x48],
  select: [0x1b],
  fadd: [0x92],
  fsub: [0x93],
  fmul: [0x94],
  fdiv: [0x95],
  fsqrt: [0x91],
  fload: [0x2a, 2, 0],
  fgt: [0x5e],
  fstore: [0x38, 2, 0],
  vload: [0xfd, 0x00, 4, 0],
  vstore: [0xfd, 0x0b, 4, 0],
  vsplat: [0xfd, 0x13],
  vlane: (l: number) => [0xfd, 0x1f, l],
  vadd: [0xfd, 0xe4, 0x01],
  vsub: [0xfd, 0xe5, 0x01],
  vmul: [0xfd, 0xe6, 0x01],
  vdiv: [0xfd, 0xe7, 0x01],
  vsqrt: [0xfd, 0xe3, 0x01],
  vgt: [0xfd, 0x44],
  vlt: [0xfd, 0x43],
  flt: [0x5d],
  vbitselect: [0xfd, 0x52],
  shuffle: (lanes: number[]) => [0xfd, 0x0d, ...lanes],
  /** `block loop (exit when cond) body (continue) end end`; `cond` leaves an i32 on the stack. */
  whileNot: (cond: number[], body: number[]) => [0x02, 0x40, 0x03, 0x40, ...cond, 0x0d, 1, ...body, 0x0c, 0, 0x0b, 0x0b],
};

/** `for (v = from; !(v >= end); v += step) body` with signed i32 locals. */
function forLoop(v: number, from: number[], end: number[], step: number, body: number[]): number[] {
  return [...from, ...op.set(v), ...op.whileNot([...op.get(v), ...end, ...op.geS], [...body, ...op.get(v), ...op.i32(step), ...op.add, ...op.set(v)])];
}

interface Func {
  /** i32 parameters, then `extraParams` */
  params: number;
  extraParams?: number[];
  locals: number[];
  body: number[];
}

// softmaxGradRows(a, s, rows, cols)
function softmaxGradRowsFunc(): Func {
  const [a, s, rows, cols] = [0, 1, 2, 3];
  const [r, i, pa, ps, end, end4] = [4, 5, 6, 7, 8, 9];
  const dot = 10; // f32
  const acc = 11; // v128
  const dotv = 12; // v128
  const ldA = [...op.get(pa), ...op.get(i), ...op.add];
  const ldS = [...op.get(ps), ...op.get(i), ...op.add];
  const row = [
    // pa = a + r·cols·4, ps = s + r·cols·4
    ...op.get(r), ...op.get(cols), ...op.mul, ...op.i32(2), ...op.shl, ...op.tee(pa), ...op.get(s), ...op.add, ...op.set(ps),
    ...op.get(pa), ...op.get(a), ...op.add, ...op.set(pa),
    ...op.get(cols), ...op.i32(2), ...op.shl, ...op.set(end),
    ...op.get(cols), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.set(end4),
    ...op.f32zero, ...op.vsplat, ...op.set(acc),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...op.get(acc), ...ldA, ...op.vload, ...ldS, ...op.vload, ...op.vmul, ...op.vadd, ...op.set(acc),
    ]),
    ...op.get(acc), ...op.vlane(0), ...op.get(acc), ...op.vlane(1), ...op.fadd,
    ...op.get(acc), ...op.vlane(2), ...op.get(acc), ...op.vlane(3), ...op.fadd, ...op.fadd, ...op.set(dot),
    // scalar tail of the dot product (i continues from end4)
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...op.get(dot), ...ldA, ...op.fload, ...ldS, ...op.fload, ...op.fmul, ...op.fadd, ...op.set(dot),
      ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
    ]),
    ...op.get(dot), ...op.vsplat, ...op.set(dotv),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...ldS, ...ldA, ...op.vload, ...ldS, ...op.vload, ...op.get(dotv), ...op.vsub, ...op.vmul, ...op.vstore,
    ]),
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...ldS, ...ldA, ...op.fload, ...ldS, ...op.fload, ...op.get(dot), ...op.fsub, ...op.fmul, ...op.fstore,
      ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
    ]),
  ];
  return { params: 4, locals: [I32, I32, I32, I32, I32, I32, F32, V128, V128], body: forLoop(r, op.i32(0), op.get(rows), 1, row) };
}

// transpose(src, srcStride, dst, dstStride, rows, cols)
function transposeFunc(): Func {
  const [src, ss, dst, ds, rows, cols] = [0, 1, 2, 3, 4, 5];
  const [r, c, rows4, cols4, p, r0, c0, rEnd, cEnd] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [v0, v1, v2, v3, t0, t1, t2, t3] = [15, 16, 17, 18, 19, 20, 21, 22];
  const TILE = 16;
  /** local = min(from + TILE, limit) */
  const tileEnd = (local: number, from: number, limit: number) => [
    ...op.get(from), ...op.i32(TILE), ...op.add, ...op.get(limit),
    ...op.get(from), ...op.i32(TILE), ...op.add, ...op.get(limit), ...op.ltS, ...op.select, ...op.set(local),
  ];
  /** byte address of element (row, col) of a matrix at `base` with `stride` */
  const at = (base: number, stride: number, row: number[], col: number[]) => [
    ...row, ...op.get(stride), ...op.mul, ...col, ...op.add, ...op.i32(2), ...op.shl, ...op.get(base), ...op.add,
  ];
  const lo = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
  const hi = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  const lo64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const hi64 = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
  const colPlus = (k: number) => [...op.get(c), ...op.i32(k), ...op.add];
  const block = [
    // p = address of (r, c) in src; rows r..r+3 are p, p + ss·4, ...
    ...at(src, ss, op.get(r), op.get(c)), ...op.set(p),
    ...op.get(p), ...op.vload, ...op.set(v0),
    ...op.get(p), ...op.get(ss), ...op.i32(2), ...op.shl, ...op.add, ...op.tee(p), ...op.vload, ...op.set(v1),
    ...op.get(p), ...op.get(ss), ...op.i32(2), ...op.shl, ...op.add, ...op.tee(p), ...op.vload, ...op.set(v2),
    ...op.get(p), ...op.get(ss), ...op.i32(2), ...op.shl, ...op.add, ...op.vload, ...op.set(v3),
    ...op.get(v0), ...op.get(v1), ...op.shuffle(lo), ...op.set(t0),
    ...op.get(v0), ...op.get(v1), ...op.shuffle(hi), ...op.set(t1),
    ...op.get(v2), ...op.get(v3), ...op.shuffle(lo), ...op.set(t2),
    ...op.get(v2), ...op.get(v3), ...op.shuffle(hi), ...op.set(t3),
    ...at(dst, ds, op.get(c), op.get(r)), ...op.get(t0), ...op.get(t2), ...op.shuffle(lo64), ...op.vstore,
    ...at(dst, ds, colPlus(1), op.get(r)), ...op.get(t0), ...op.get(t2), ...op.shuffle(hi64), ...op.vstore,
    ...at(dst, ds, colPlus(2), op.get(r)), ...op.get(t1), ...op.get(t3), ...op.shuffle(lo64), ...op.vstore,
    ...at(dst, ds, colPlus(3), op.get(r)), ...op.get(t1), ...op.get(t3), ...op.shuffle(hi64), ...op.vstore,
  ];
  const scalar = [...at(dst, ds, op.get(c), op.get(r)), ...at(src, ss, op.get(r), op.get(c)), ...op.fload, ...op.fstore];
  const body = [
    ...op.get(rows), ...op.i32(-4), ...op.and, ...op.set(rows4),
    ...op.get(cols), ...op.i32(-4), ...op.and, ...op.set(cols4),
    // 4×4 blocks in TILE × TILE tiles (power-of-two strides would otherwise evict the destination rows)
    ...forLoop(r0, op.i32(0), op.get(rows4), TILE, [
      ...tileEnd(rEnd, r0, rows4),
      ...forLoop(c0, op.i32(0), op.get(cols4), TILE, [
        ...tileEnd(cEnd, c0, cols4),
        ...forLoop(r, op.get(r0), op.get(rEnd), 4, forLoop(c, op.get(c0), op.get(cEnd), 4, block)),
      ]),
    ]),
    // right edge: columns cols4..cols of rows 0..rows4
    ...forLoop(r, op.i32(0), op.get(rows4), 1, forLoop(c, op.get(cols4), op.get(cols), 1, scalar)),
    // bottom edge: rows rows4..rows, every column
    ...forLoop(r, op.get(rows4), op.get(rows), 1, forLoop(c, op.i32(0), op.get(cols), 1, scalar)),
  ];
  return { params: 6, locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128], body };
}

// colSums(src, rows, cols, dst)
function colSumsFunc(): Func {
  const [src, rows, cols, dst] = [0, 1, 2, 3];
  const [r, i, end, end4, row] = [4, 5, 6, 7, 8];
  const dAt = [...op.get(dst), ...op.get(i), ...op.add];
  const sAt = [...op.get(row), ...op.get(i), ...op.add];
  const body = [
    ...op.get(cols), ...op.i32(2), ...op.shl, ...op.set(end),
    ...op.get(cols), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.set(end4),
    ...forLoop(i, op.i32(0), op.get(end), 4, [...dAt, ...op.f32zero, ...op.fstore]),
    ...forLoop(r, op.i32(0), op.get(rows), 1, [
      ...op.get(r), ...op.get(end), ...op.mul, ...op.get(src), ...op.add, ...op.set(row),
      ...forLoop(i, op.i32(0), op.get(end4), 16, [...dAt, ...dAt, ...op.vload, ...sAt, ...op.vload, ...op.vadd, ...op.vstore]),
      ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
        ...dAt, ...dAt, ...op.fload, ...sAt, ...op.fload, ...op.fadd, ...op.fstore,
        ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
      ]),
    ]),
  ];
  return { params: 4, locals: [I32, I32, I32, I32, I32], body };
}

// leakyReluGrad(x, dy, out, size, alpha: f32)
function leakyReluGradFunc(): Func {
  const [x, dy, out, size, alpha] = [0, 1, 2, 3, 4];
  const [i, end, end4, alphav, g] = [5, 6, 7, 8, 9];
  const at = (base: number) => [...op.get(base), ...op.get(i), ...op.add];
  const body = [
    ...op.get(size), ...op.i32(2), ...op.shl, ...op.set(end),
    ...op.get(size), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.set(end4),
    ...op.get(alpha), ...op.vsplat, ...op.set(alphav),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...at(out),
      ...at(dy), ...op.vload, ...op.tee(g),
      ...op.get(g), ...op.get(alphav), ...op.vmul,
      ...at(x), ...op.vload, ...op.f32zero, ...op.vsplat, ...op.vgt,
      ...op.vbitselect, ...op.vstore,
    ]),
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...at(out),
      ...at(dy), ...op.fload,
      ...at(dy), ...op.fload, ...op.get(alpha), ...op.fmul,
      ...at(x), ...op.fload, ...op.f32zero, ...op.fgt,
      ...op.select, ...op.fstore,
      ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
    ]),
  ];
  return { params: 4, extraParams: [F32], locals: [I32, I32, I32, V128, V128], body };
}

// leakyRelu(x, out, size, alpha: f32)
function leakyReluFunc(): Func {
  const [x, out, size, alpha] = [0, 1, 2, 3];
  const [i, end, end4, alphav, v] = [4, 5, 6, 7, 8];
  const at = (base: number) => [...op.get(base), ...op.get(i), ...op.add];
  const body = [
    ...op.get(size), ...op.i32(2), ...op.shl, ...op.set(end),
    ...op.get(size), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.set(end4),
    ...op.get(alpha), ...op.vsplat, ...op.set(alphav),
    ...forLoop(i, op.i32(0), op.get(end4), 16, [
      ...at(out),
      ...at(x), ...op.vload, ...op.tee(v), ...op.get(alphav), ...op.vmul,
      ...op.get(v),
      ...op.get(v), ...op.f32zero, ...op.vsplat, ...op.vlt,
      ...op.vbitselect, ...op.vstore,
    ]),
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...at(out),
      ...at(x), ...op.fload, ...op.get(alpha), ...op.fmul,
      ...at(x), ...op.fload,
      ...at(x), ...op.fload, ...op.f32zero, ...op.flt,
      ...op.select, ...op.fstore,
      ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
    ]),
  ];
  return { params: 3, extraParams: [F32], locals: [I32, I32, I32, V128, V128], body };
}

// adamUpdate(x, m, v, g, outX, outM, outV, size, beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusAccBeta1,
//            oneMinusAccBeta2, epsilon, negLr: f32)
function adamUpdateFunc(): Func {
  const [x, m, v, g, outX, outM, outV, size] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalars = [8, 9, 10, 11, 12, 13, 14, 15];
  const [i, end, end4] = [16, 17, 18];
  const splats = [19, 20, 21, 22, 23, 24, 25, 26]; // v128 copies of the scalars, in the same order
  const [gv, mv, vv] = [27, 28, 29]; // v128: g, then m', v'
  const [gs, ms, vs] = [30, 31, 32]; // f32: the same for the scalar tail
  const at = (base: number) => [...op.get(base), ...op.get(i), ...op.add];
  /** The update with `k` as the scalar or vector instruction set, `c(j)` the j-th constant, `t` the temporaries. */
  const update = (k: { load: number[]; store: number[]; add: number[]; mul: number[]; div: number[]; sqrt: number[] }, c: (j: number) => number[], t: number[]) => [
    ...at(g), ...k.load, ...op.set(t[0]),
    // m' = m·beta1 + g·(1 − beta1)
    ...at(outM), ...at(m), ...k.load, ...c(0), ...k.mul, ...op.get(t[0]), ...c(1), ...k.mul, ...k.add, ...op.tee(t[1]), ...k.store,
    // v' = v·beta2 + g²·(1 − beta2)
    ...at(outV), ...at(v), ...k.load, ...c(2), ...k.mul, ...op.get(t[0]), ...op.get(t[0]), ...k.mul, ...c(3), ...k.mul, ...k.add, ...op.tee(t[2]), ...k.store,
    // x' = (m'/(1 − β1ᵗ)) / (sqrt(v'/(1 − β2ᵗ)) + ε) · (−lr) + x
    ...at(outX),
    ...op.get(t[1]), ...c(4), ...k.div,
    ...op.get(t[2]), ...c(5), ...k.div, ...k.sqrt, ...c(6), ...k.add,
    ...k.div, ...c(7), ...k.mul, ...at(x), ...k.load, ...k.add, ...k.store,
  ];
  const vector = { load: op.vload, store: op.vstore, add: op.vadd, mul: op.vmul, div: op.vdiv, sqrt: op.vsqrt };
  const scalar = { load: op.fload, store: op.fstore, add: op.fadd, mul: op.fmul, div: op.fdiv, sqrt: op.fsqrt };
  const body = [
    ...op.get(size), ...op.i32(2), ...op.shl, ...op.set(end),
    ...op.get(size), ...op.i32(-4), ...op.and, ...op.i32(2), ...op.shl, ...op.set(end4),
    ...scalars.flatMap((s, j) => [...op.get(s), ...op.vsplat, ...op.set(splats[j])]),
    ...forLoop(i, op.i32(0), op.get(end4), 16, update(vector, (j) => op.get(splats[j]), [gv, mv, vv])),
    ...op.whileNot([...op.get(i), ...op.get(end), ...op.geS], [
      ...update(scalar, (j) => op.get(scalars[j]), [gs, ms, vs]),
      ...op.get(i), ...op.i32(4), ...op.add, ...op.set(i),
    ]),
  ];
  return {
    params: 8,
    extraParams: new Array(8).fill(F32),
    locals: [I32, I32, I32, ...new Array(8).fill(V128), V128, V128, V128, F32, F32, F32],
    body,
  };
}

/** Assembles the module; `shared` when the backend's memory is a shared (threaded-build) one. */
export function assembleSimdModule(shared: boolean): Uint8Array {
  const funcs: Array<[string, Func]> = [
    ["softmaxGradRows", softmaxGradRowsFunc()],
    ["transpose", transposeFunc()],
    ["colSums", colSumsFunc()],
    ["leakyReluGrad", leakyReluGradFunc()],
    ["leakyRelu", leakyReluFunc()],
    ["adamUpdate", adamUpdateFunc()],
  ];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const str = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const types = vec(
    funcs.map(([, f]) => {
      const params = [...new Array(f.params).fill(I32), ...(f.extraParams ?? [])];
      return [0x60, ...uleb(params.length), ...params, 0];
    }),
  );
  // memory import: at least 1 page; a shared memory must declare a maximum (65536 pages, 4 GiB, accepts any).
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const memory = [...str("env"), ...str("memory"), 0x02, ...limits];
  const functions = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.map(([name], i) => [...str(name), 0x00, ...uleb(i)]));
  const codes = vec(
    funcs.map(([, f]) => {
      // locals: one entry per local (count 1, type)
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, vec([memory])),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

// --- instantiation per backend module ---------------------------------------------------------------------

/** The parts of the WebAssembly JS API used here (this package's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
interface WasmMemory {
  buffer: ArrayBufferLike;
}

/** The WebAssembly API of this JS engine, if any. */
export function webAssemblyApi(): WebAssemblyApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

interface EmscriptenModuleWithMemory {
  asm?: { memory?: WasmMemory };
  wasmMemory?: WasmMemory;
}

const instances = new WeakMap<object, SimdKernels | null>();

/**
 * The SIMD loops bound to this backend's heap, or null when they cannot run here (no WebAssembly SIMD, or the
 * backend's memory object is not reachable): callers then use their JS loops. Instantiated once per module.
 * Set `GAN_WASM_NO_SIMD_KERNELS=1` to force the JS loops (for comparisons).
 */
export function simdKernels(backend: WasmBackend): SimdKernels | null {
  const module = backend.wasm as unknown as EmscriptenModuleWithMemory;
  if (instances.has(module)) return instances.get(module) ?? null;
  let kernels: SimdKernels | null = null;
  try {
    const memory = module.wasmMemory ?? module.asm?.memory;
    const disabled = typeof process !== "undefined" && process.env?.GAN_WASM_NO_SIMD_KERNELS === "1";
    const api = webAssemblyApi();
    if (memory != null && api != null && !disabled) {
      const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
      const instance = new api.Instance(new api.Module(assembleSimdModule(shared)), { env: { memory } });
      kernels = instance.exports as unknown as SimdKernels;
    }
  } catch {
    kernels = null;
  }
  instances.set(module, kernels);
  return kernels;
}

/**
 * `transposeMatrix` at float32 element indices of the wasm heap: element (r, c) at `src + r·srcStride + c`
 * goes to `dst + c·dstStride + r`; through the SIMD module when it runs here, else in JS.
 */
export function transposeAt(
  backend: WasmBackend,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  cols: number,
): void {
  const simd = simdKernels(backend);
  if (simd == null) transposeMatrix(heapF32(backend), src, srcStride, dst, dstStride, rows, cols);
  else if (dstStride % 512 === 0 && rows >= 256 && cols >= 16) transposeThroughStrips(backend, simd, src, srcStride, dst, dstStride, rows, cols);
  else simd.transpose(4 * src, srcStride, 4 * dst, dstStride, rows, cols);
}

/** Columns of the source per strip in {@link transposeThroughStrips}. */
const STRIP = 32;

/**
 * {@link transposeAt} for a destination whose rows lie a multiple of 2 KB apart. Writing 4-float pieces of rows
 * that far apart maps them all to the same few cache sets, which evicts each destination line before it is
 * filled: 1024 × 1024 took 1.4 ms where a destination stride of 1040 takes 0.2. So each strip of `STRIP` source
 * columns is transposed into a small scratch whose rows are `rows + 16` floats apart, and its rows are copied
 * to the destination whole (0.4 ms in all for 1024 × 1024). The same values, moved differently.
 */
function transposeThroughStrips(
  backend: WasmBackend,
  simd: SimdKernels,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  cols: number,
): void {
  const padded = rows + 16;
  const scratch = backend.makeOutput([STRIP, padded], "float32");
  try {
    const at = heapIndex(backend, scratch);
    const heap = heapF32(backend);
    for (let c0 = 0; c0 < cols; c0 += STRIP) {
      const width = Math.min(STRIP, cols - c0);
      simd.transpose(4 * (src + c0), srcStride, 4 * at, padded, rows, width);
      for (let c = 0; c < width; c++) heap.copyWithin(dst + (c0 + c) * dstStride, at + c * padded, at + c * padded + rows);
    }
  } finally {
    disposeIntermediate(backend, scratch);
  }
}
