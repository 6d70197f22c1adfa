// Times SAGAN's largest self-attention (after the generator's layer 4: 32×32 = 1,024 positions, query/key 8
// channels, value 64, batch 64) through the fused kernels of @gan/backend, forward and backward, beside one
// batched tf.matMul of the same attention-by-value product (the single largest product inside them) for scale.
// usage: node tools/bench/attention.mjs [--threads N] [--iters 5] [--batch 64]
// Prints one JSON line of medians in ms: {"threads","forward_ms","backward_ms","attention_by_value_ms"}.
import { parseArgs } from "node:util";
import { FUSED_ATTENTION, FUSED_ATTENTION_GRAD, backendInfo } from "@gan/backend";
import { selectBackend } from "@gan/backend/node";
import * as tf from "@tensorflow/tfjs-core";

const { values } = parseArgs({
  options: { threads: { type: "string" }, iters: { type: "string", default: "5" }, batch: { type: "string", default: "64" } },
});
const threads = values.threads == null ? undefined : values.threads === "auto" ? "auto" : Number(values.threads);
await selectBackend("wasm", { log: () => {}, warn: () => {}, ...(threads == null ? {} : { threads }) });
const [batch, n, d, c] = [Number(values.batch), 1024, 8, 64];
const query = tf.randomNormal([batch, n, d], 0, 1, "float32", 1);
const key = tf.randomNormal([batch, n, d], 0, 1, "float32", 2);
const value = tf.randomNormal([batch, n, c], 0, 1, "float32", 3);
const dy = tf.randomNormal([batch, n, c], 0, 1, "float32", 4);
const attention = tf.softmax(tf.randomNormal([batch, n, n], 0, 1, "float32", 5));

/** Median ms of `fn` over --iters runs after one warm-up; its outputs are read (to wait for them) and freed. */
function median(fn) {
  const times = [];
  for (let i = 0; i <= Number(values.iters); i++) {
    const start = performance.now();
    const out = fn();
    for (const t of Array.isArray(out) ? out : [out]) {
      t.dataSync();
      t.dispose();
    }
    if (i > 0) times.push(performance.now() - start);
  }
  return Math.round(times.sort((a, b) => a - b)[Math.floor(times.length / 2)] * 10) / 10;
}

console.log(
  JSON.stringify({
    threads: backendInfo().threadCount,
    forward_ms: median(() => tf.engine().runKernel(FUSED_ATTENTION, { query, key, value })),
    backward_ms: median(() => tf.engine().runKernel(FUSED_ATTENTION_GRAD, { query, key, value, dy })),
    attention_by_value_ms: median(() => tf.matMul(attention, value)),
  }),
);
