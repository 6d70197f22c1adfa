// Times the wasm kernels a GAN training step spends its time in, at the reference nets' shapes, with the
// stock tfjs kernels ("before") and with @gan/backend's kernels ("after"), and prints GFLOP/s.
//
//   pnpm --filter @gan/backend build && node packages/backend/bench/kernels.mjs \
//     [--batch 64] [--reps 3] [--threads 1] [--only conv|matmul] [--no-before]
//
// Not part of the tests. FLOPs count 2 per multiply-add of the useful work.
import * as tf from "@tensorflow/tfjs-core";
import { backendInfo, describeBackend, registerTrainingKernels, selectBackend, unregisterTrainingKernels } from "../dist/index.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const batch = Number(option("batch", "64"));
const reps = Number(option("reps", "3"));
const only = option("only", "all");
const before = !args.includes("--no-before");
const threads = option("threads", "1");

// The convolutions of the reference nets, as forward convolutions x ⊛ W (the generator's transposed
// convolutions are the same shapes run backwards: its forward pass is Conv2DBackpropInput).
const convs = [
  { name: "D1 / G last   64² × 1 → 32² × 64", x: [batch, 64, 64, 1], w: [4, 4, 1, 64], s: 2, p: 1 },
  { name: "D2 / G4       32² × 64 → 16² × 128", x: [batch, 32, 32, 64], w: [4, 4, 64, 128], s: 2, p: 1 },
  { name: "D3 / G3       16² × 128 → 8² × 256", x: [batch, 16, 16, 128], w: [4, 4, 128, 256], s: 2, p: 1 },
  { name: "D4 / G2       8² × 256 → 4² × 512", x: [batch, 8, 8, 256], w: [4, 4, 256, 512], s: 2, p: 1 },
  { name: "D last        4² × 512 → 1² × 1", x: [batch, 4, 4, 512], w: [4, 4, 512, 1], s: 1, p: 0 },
  { name: "G1            1² × 20 → 4² × 512", x: [batch, 4, 4, 512], w: [4, 4, 512, 20], s: 1, p: 0 },
];

// SAGAN's self-attention at 16×16 (C = 128) and 32×32 (C = 64): scores, weighted values and their gradients.
const attention = [];
for (const [n, c] of [[256, 128], [1024, 64]]) {
  const q = c / 8;
  attention.push(
    { name: `N=${n} S = Q·Kᵀ`, a: [batch, n, q], b: [batch, n, q], tA: false, tB: true },
    { name: `N=${n} O = A·V`, a: [batch, n, n], b: [batch, n, c], tA: false, tB: false },
    { name: `N=${n} dA = dO·Vᵀ`, a: [batch, n, c], b: [batch, n, c], tA: false, tB: true },
    { name: `N=${n} dV = Aᵀ·dO`, a: [batch, n, n], b: [batch, n, c], tA: true, tB: false },
    { name: `N=${n} dQ = dS·K`, a: [batch, n, n], b: [batch, n, q], tA: false, tB: false },
    { name: `N=${n} dK = dSᵀ·Q`, a: [batch, n, n], b: [batch, n, q], tA: true, tB: false },
  );
}

function time(fn) {
  const times = [];
  for (let i = 0; i <= reps; i++) {
    // wasm kernels run synchronously: the result is complete when runKernel returns. Reading it back
    // (dataSync copies the heap at ~250 MB/s) is left out, as a training step reads only its losses.
    const start = performance.now();
    const out = fn();
    times.push(performance.now() - start);
    out.dispose();
  }
  times.shift(); // warm-up
  times.sort((p, q) => p - q);
  return times[Math.floor(times.length / 2)];
}

function measure(label, flops, fn, stockRuns) {
  const cells = [];
  for (const custom of before ? [false, true] : [true]) {
    if (custom) registerTrainingKernels();
    else unregisterTrainingKernels();
    if (!custom && !stockRuns) {
      cells.push("missing".padStart(19));
      continue;
    }
    const ms = time(fn);
    cells.push(`${ms.toFixed(1).padStart(8)} ms ${(flops / ms / 1e6).toFixed(1).padStart(5)} GF/s`);
  }
  console.log(`${label.padEnd(52)} ${cells.join("  ")}`);
}

const random = (shape) => tf.randomUniform(shape, -1, 1, "float32", 1);

await selectBackend("wasm", { log: () => {}, threads: threads === "auto" ? "auto" : Number(threads) });
console.log(`backend: ${describeBackend(backendInfo())}, batch ${batch}, median of ${reps} after a warm-up`);
console.log(`${"kernel".padEnd(52)} ${before ? `${"before (stock)".padStart(19)}  ` : ""}${"after".padStart(19)}`);

if (only !== "matmul") {
  for (const c of convs) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.s, 1, c.p);
    const flops = 2 * tf.util.sizeFromShape(info.outShape) * c.w[0] * c.w[1] * c.w[2];
    const x = random(c.x);
    const w = random(c.w);
    const dy = random(info.outShape);
    const attrs = { strides: c.s, pad: c.p, dataFormat: "NHWC" };
    const run = (name, inputs, extra) => () => tf.engine().runKernel(name, inputs, { ...attrs, ...extra });
    measure(`${c.name}  Conv2D`, flops, run("Conv2D", { x, filter: w }, { dilations: 1 }), true);
    measure(`${c.name}  BackpropInput`, flops, run("Conv2DBackpropInput", { dy, filter: w }, { inputShape: c.x }), true);
    measure(`${c.name}  BackpropFilter`, flops, run("Conv2DBackpropFilter", { x, dy }, { filterShape: c.w }), false);
    tf.dispose([x, w, dy]);
  }
}
if (only !== "conv") {
  for (const m of attention) {
    const a = random(m.a);
    const b = random(m.b);
    const mm = m.tA ? m.a[2] : m.a[1];
    const k = m.tA ? m.a[1] : m.a[2];
    const nn = m.tB ? m.b[1] : m.b[2];
    const flops = 2 * batch * mm * k * nn;
    measure(`${m.name.padEnd(20)} BatchMatMul`, flops, () => tf.engine().runKernel("BatchMatMul", { a, b }, { transposeA: m.tA, transposeB: m.tB }), true);
    tf.dispose([a, b]);
  }
}
