// Times the real training step (GanTrainer: D step + G step) of DCGAN or SAGAN at the reference's size.
// usage: node tools/bench/step.mjs --model sagan --backend wasm --batch 64 --iters 5 --warmup 1 [--width 64] [--threads N|auto]
//        [--side 32|64|128]
// (--side: the scaled nets of scaled-nets.mjs for that image side, as reference_step.py --side; default: the article's)
// (--threads: wasm threads; default: selectBackend's own default)
// Prints one JSON line: {"model","backend","threads","ms_per_iter" (median),"times_ms","cpu_ms","peak_rss_mb"}
// (cpu_ms: the process's CPU time per iteration, all threads: a check on wall times taken on a busy machine).
import { parseArgs } from "node:util";
import { backendInfo } from "@gan/backend";
import { selectBackend } from "@gan/backend/node";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { lossByName } from "@gan/losses";
import { getRecipe } from "@gan/recipes";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import { GanTrainer, arrayDataSource } from "@gan/trainer";
import { scaledNets } from "./scaled-nets.mjs";
import * as tf from "@tensorflow/tfjs-core";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "dcgan" },
    backend: { type: "string", default: "wasm" },
    batch: { type: "string", default: "64" },
    iters: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    width: { type: "string", default: "64" },
    threads: { type: "string" },
    side: { type: "string" },
  },
});
const batch = Number(values.batch);
const iters = Number(values.iters);
const warmup = Number(values.warmup);
const width = Number(values.width);

const threads = values.threads == null ? undefined : values.threads === "auto" ? "auto" : Number(values.threads);
await selectBackend(values.backend, { log: () => {}, warn: () => {}, ...(threads == null ? {} : { threads }) });
const sagan = values.model === "sagan";
const config = { width, seed: 1 };
const article = () => ({
  generator: sagan ? new SaganGenerator(config) : new DcganGenerator(config),
  discriminator: sagan ? new SaganDiscriminator(config) : new DcganDiscriminator(config),
});
const side = values.side == null ? 64 : Number(values.side);
const { generator, discriminator } = values.side == null ? article() : scaledNets(values.model, side);
if (values.side != null && side === 64) {
  // The scaled nets at 64 are the article's: the same parameter count (a check on scaled-nets.mjs).
  const count = (nets) => nets.generator.numParameters() + nets.discriminator.numParameters();
  const reference = article();
  if (count(reference) !== count({ generator, discriminator })) throw new Error(`scaled nets at side 64: ${count({ generator, discriminator })} parameters, the article's ${count(reference)}`);
  reference.generator.dispose();
  reference.discriminator.dispose();
}
const images = tf.randomUniform([batch * (warmup + iters), side, side, 1], -1, 1, "float32", 7);
const times = [];
const cpuTimes = []; // process CPU time (user + system) per iteration: robust to other processes on a shared machine
let lastCpu = process.cpuUsage();
const trainer = new GanTrainer({
  generator,
  discriminator,
  loss: lossByName(getRecipe(values.model).training.loss), // the article's loss of the model
  data: arrayDataSource(images, { batchSize: batch }),
  epochs: 1,
  seed: 0,
  fixedNoiseSize: 1,
  callbacks: [
    {
      onBatchEnd: (_ctx, m) => {
        times.push(m.stepMs);
        const cpu = process.cpuUsage(lastCpu);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
        lastCpu = process.cpuUsage();
      },
    },
  ],
});
await trainer.fit();
trainer.dispose();
const timed = times.slice(warmup).sort((a, b) => a - b);
const median = timed.length % 2 ? timed[(timed.length - 1) / 2] : (timed[timed.length / 2 - 1] + timed[timed.length / 2]) / 2;
console.log(
  JSON.stringify({
    model: values.model,
    backend: values.backend,
    threads: backendInfo().threadCount,
    batch,
    side,
    params: generator.numParameters() + discriminator.numParameters(),
    ms_per_iter: Math.round(median),
    times_ms: times.map(Math.round),
    cpu_ms: cpuTimes.map(Math.round),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
