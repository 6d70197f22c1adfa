// Times one Adam update of the article's SAGAN or DCGAN parameters (generator and discriminator: one iteration's
// worth), tfjs's `tf.train.adam` (13 element-wise ops per parameter) against @gan/trainer's `createAdam` (one
// GanAdamUpdate kernel per parameter on wasm), alternating, and checks that both give the same bits.
// usage: node tools/bench/adam-update.mjs [--model sagan|dcgan] [--iters 10] [--threads N|auto]
// Prints one JSON line: {"model","threads","parameters","tfjs_ms","fused_ms"} (medians per iteration).
import { parseArgs } from "node:util";
import { backendInfo } from "@gan/backend";
import { selectBackend } from "@gan/backend/node";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import { createAdam } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";

const { values } = parseArgs({
  options: { model: { type: "string", default: "sagan" }, iters: { type: "string", default: "10" }, threads: { type: "string" } },
});
const threads = values.threads == null ? undefined : values.threads === "auto" ? "auto" : Number(values.threads);
await selectBackend("wasm", { log: () => {}, warn: () => {}, ...(threads == null ? {} : { threads }) });
const sagan = values.model === "sagan";
const nets = sagan ? [new SaganGenerator({ seed: 1 }), new SaganDiscriminator({ seed: 2 })] : [new DcganGenerator({ seed: 1 }), new DcganDiscriminator({ seed: 2 })];
const params = nets.flatMap((n) => n.parameters());
const copies = params.map((p) => tf.variable(p.clone()));
const grads = params.map((p, i) => tf.randomNormal(p.shape, 0, 0.01, "float32", i));
const settings = { lr: 1e-4, beta1: 0, beta2: 0.9, epsilon: 1e-8 };
const lanes = [
  { name: "tfjs", vars: params, opt: tf.train.adam(settings.lr, settings.beta1, settings.beta2, settings.epsilon), times: [] },
  { name: "fused", vars: copies, opt: createAdam(settings), times: [] },
];
const iters = Number(values.iters);
for (let i = 0; i <= iters; i++) {
  for (const lane of lanes) {
    const start = performance.now();
    lane.opt.applyGradients(lane.vars.map((v, k) => ({ name: v.name, tensor: grads[k] })));
    lane.vars[lane.vars.length - 1].dataSync(); // wait for the last update
    if (i > 0) lane.times.push(performance.now() - start); // the first one makes the moment slots
  }
}
const same = params.every((p, k) => {
  const [a, b] = [p.dataSync(), copies[k].dataSync()];
  return a.every((x, j) => Object.is(x, b[j]));
});
if (!same) throw new Error("adam-update: the fused update differs from tf.train.adam");
const median = (t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];
console.log(
  JSON.stringify({
    model: values.model,
    threads: backendInfo().threadCount,
    parameters: params.reduce((n, p) => n + p.size, 0),
    tfjs_ms: Math.round(median(lanes[0].times) * 10) / 10,
    fused_ms: Math.round(median(lanes[1].times) * 10) / 10,
  }),
);
