// Where the wasm heap grows during the real training step: wraps every kernel of the backend and prints each
// kernel call after which the wasm memory was larger than before, with the engine's live tensor bytes then.
// usage: node tools/bench/heap-growth.mjs --model dcgan [--batch 64] [--threads 2] [--steps 2]
import { parseArgs } from "node:util";
import { selectBackend } from "@gan/backend/node";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { lossByName } from "@gan/losses";
import { getRecipe } from "@gan/recipes";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import { GanTrainer, arrayDataSource } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "dcgan" },
    batch: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    steps: { type: "string", default: "2" },
  },
});
const batch = Number(values.batch);
await selectBackend("wasm", { log: () => {}, warn: () => {}, threads: Number(values.threads) });
const backend = tf.backend();
const memoryBytes = () => (backend.wasm.wasmMemory ?? backend.wasm.asm?.memory)?.buffer.byteLength ?? backend.wasm.HEAPU8.buffer.byteLength;
const mb = (n) => (n / 2 ** 20).toFixed(0);
let before = memoryBytes();
let step = 0;
for (const config of tf.getKernelsForBackend("wasm")) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, "wasm");
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const out = inner(args);
      const now = memoryBytes();
      if (now > before) {
        const shapes = Object.values(args.inputs).filter((t) => t?.shape).map((t) => `[${t.shape}]`).join(" ");
        console.log(`step ${step}: heap ${mb(before)} → ${mb(now)} MB after ${config.kernelName} ${shapes} (live tensors ${mb(tf.memory().numBytes)} MB)`);
        before = now;
      }
      return out;
    },
  });
}
const sagan = values.model === "sagan";
const config = { width: 64, seed: 1 };
const steps = Number(values.steps);
const trainer = new GanTrainer({
  generator: sagan ? new SaganGenerator(config) : new DcganGenerator(config),
  discriminator: sagan ? new SaganDiscriminator(config) : new DcganDiscriminator(config),
  loss: lossByName(getRecipe(values.model).training.loss),
  data: arrayDataSource(tf.randomUniform([batch * steps, 64, 64, 1], -1, 1, "float32", 7), { batchSize: batch }),
  epochs: 1,
  seed: 0,
  fixedNoiseSize: 1,
  callbacks: [{ onBatchEnd: () => step++ }],
});
await trainer.fit();
trainer.dispose();
console.log(`wasm memory ${mb(memoryBytes())} MB, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
