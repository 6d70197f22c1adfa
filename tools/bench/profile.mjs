// Per-kernel profile of the real training step (GanTrainer: D step + G step) on an embedded backend.
// usage: node tools/bench/profile.mjs --model sagan --backend wasm [--batch 64] [--iters 2] [--warmup 1] [--top 30]
//        [--threads 1] [--clock wall|cpu] [--json]
//        node tools/bench/profile.mjs --recipe fastUnlabelled [...]: a named recipe's step instead (its nets, loss,
//        optimizer, D steps, DiffAugment and EMA; its batch unless --batch is given)
// Every kernel registered for the backend is wrapped with a timer. Prints a table per kernel the engine ran
// (inclusive time: a custom kernel that runs other kernels is charged for them), one per (kernel, input
// shapes) of every kernel run, nested ones included (self time: nested kernels charged to themselves), and
// the step time not spent in kernels (engine bookkeeping, gradient tape, JS); Conv2D rows also show their GFLOP/s.
// Timings of the profiled steps are a little slower than unprofiled ones.
import { parseArgs } from "node:util";
import { selectBackend } from "@gan/backend/node";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { lossByName } from "@gan/losses";
import { applyRecipe, getRecipe, isConditional } from "@gan/recipes";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import { GanTrainer } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "dcgan" },
    recipe: { type: "string" },
    backend: { type: "string", default: "wasm" },
    batch: { type: "string" },
    iters: { type: "string", default: "2" },
    warmup: { type: "string", default: "1" },
    top: { type: "string", default: "30" },
    threads: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    clock: { type: "string", default: "wall" },
  },
});
const recipe = values.recipe === undefined ? undefined : getRecipe(values.recipe);
const batch = Number(values.batch ?? recipe?.batchSize ?? 64);
const iters = Number(values.iters);
const warmup = Number(values.warmup);
const threads = values.threads === "auto" ? "auto" : Number(values.threads);

await selectBackend(values.backend, { log: () => {}, warn: () => {}, threads });
const backendName = tf.getBackend();

// --clock cpu: the process's CPU time (user + system; with one thread, robust to other processes on a shared
// machine); wall (default): elapsed time.
const clock =
  values.clock === "cpu"
    ? () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      }
    : () => performance.now();

// Wrap every kernel of the backend with a self-time timer.
let recording = false;
const byKernel = new Map(); // name -> { ms, calls }
const byShape = new Map(); // name + shapes -> { ms, calls }
const stack = []; // child time accumulated per open kernel
for (const config of tf.getKernelsForBackend(backendName)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      if (!recording) return inner(args);
      stack.push(0);
      const t0 = clock();
      let out;
      try {
        out = inner(args);
      } finally {
        const total = clock() - t0;
        const children = stack.pop();
        if (stack.length > 0) stack[stack.length - 1] += total;
        const self = total - children;
        if (stack.length === 0) {
          const k = byKernel.get(config.kernelName) ?? { ms: 0, calls: 0 };
          k.ms += total;
          k.calls++;
          byKernel.set(config.kernelName, k);
        }
        const shapes = Object.values(args.inputs)
          .filter((t) => t != null && t.shape != null)
          .map((t) => `[${t.shape}]`)
          .join(" ");
        const key = `${config.kernelName} ${shapes}`;
        const s = byShape.get(key) ?? { ms: 0, calls: 0, flop: 0 };
        if (config.kernelName === "Conv2D" && out?.shape) {
          // multiply-adds: every output value gathers kh·kw·inChannels inputs
          const [kh, kw, inChannels] = args.inputs.filter.shape;
          s.flop += 2 * out.shape.reduce((a, b) => a * b, 1) * kh * kw * inChannels;
        }
        s.ms += self;
        s.calls++;
        byShape.set(key, s);
      }
      return out;
    },
  });
}

const sagan = values.model === "sagan";
const config = { width: 64, seed: 1 };
// A conditional recipe gets ten classes and labels 0…9 in turn.
const conditional = recipe !== undefined && isConditional(recipe.model);
const applied = recipe === undefined ? undefined : applyRecipe(recipe, { seed: 1, numClasses: 10 });
const generator = applied?.generator ?? (sagan ? new SaganGenerator(config) : new DcganGenerator(config));
const discriminator = applied?.discriminator ?? (sagan ? new SaganDiscriminator(config) : new DcganDiscriminator(config));
const channels = recipe?.model.channels ?? 1;
const dSteps = applied?.trainerOptions.dSteps ?? 1;
// Batches made up front and handed out as clones (no copy), so that slicing them out of one tensor is not profiled.
const batches = Array.from({ length: (warmup + iters) * dSteps }, (_, i) => tf.randomUniform([batch, 64, 64, channels], -1, 1, "float32", 7 + i));
const data = {
  batchSize: batch,
  batchesPerEpoch: batches.length,
  async *epoch() {
    for (const b of batches) yield conditional ? { images: tf.clone(b), labels: Int32Array.from({ length: batch }, (_, j) => j % 10) } : tf.clone(b);
  },
};
const label = recipe === undefined ? values.model : `recipe ${recipe.name}`;
const times = [];
const cpuTimes = [];
let lastCpu = process.cpuUsage();
let step = 0;
const trainer = new GanTrainer({
  generator,
  discriminator,
  loss: applied?.loss ?? lossByName(getRecipe(values.model).training.loss), // the article's loss of the model
  ...(applied?.trainerOptions ?? {}),
  data,
  epochs: 1,
  seed: 0,
  fixedNoiseSize: 1,
  callbacks: [
    ...(applied?.callbacks ?? []),
    {
      onTrainStart: () => {
        recording = warmup === 0;
      },
      onBatchEnd: (_ctx, m) => {
        const cpu = process.cpuUsage(lastCpu);
        lastCpu = process.cpuUsage();
        if (step >= warmup) {
          times.push(m.stepMs);
          cpuTimes.push((cpu.user + cpu.system) / 1000);
        }
        step++;
        recording = step >= warmup;
      },
    },
  ],
});
await trainer.fit();
trainer.dispose();
applied?.dispose();

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stepMs = values.clock === "cpu" ? mean(cpuTimes) : mean(times);
const rows = [...byKernel.entries()].map(([name, v]) => ({ name, ms: v.ms / iters, calls: v.calls / iters }));
rows.sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((a, r) => a + r.ms, 0);
const fmt = (x) => x.toFixed(0).padStart(7);
console.log(
  `# ${label} on ${backendName} (threads ${values.threads}), batch ${batch}: ${stepMs.toFixed(0)} ms (${values.clock}) per profiled step` +
    ` (wall ${mean(times).toFixed(0)} ms, CPU ${mean(cpuTimes).toFixed(0)} ms)`,
);
console.log(`# in kernels ${kernelMs.toFixed(0)} ms, outside (engine, tape, JS) ${(stepMs - kernelMs).toFixed(0)} ms`);
console.log("\n| kernel | ms/iter | share | calls/iter |\n|---|---|---|---|");
for (const r of rows.slice(0, Number(values.top))) {
  console.log(`| ${r.name} | ${fmt(r.ms)} | ${((100 * r.ms) / stepMs).toFixed(1)}% | ${r.calls} |`);
}
const shapeRows = [...byShape.entries()].map(([name, v]) => ({ name: name + (v.flop ? ` (${(v.flop / v.ms / 1e6).toFixed(0)} GF/s)` : ""), ms: v.ms / iters, calls: v.calls / iters }));
shapeRows.sort((a, b) => b.ms - a.ms);
console.log("\n| kernel and input shapes | ms/iter | calls/iter |\n|---|---|---|");
for (const r of shapeRows.slice(0, Number(values.top))) console.log(`| ${r.name} | ${fmt(r.ms)} | ${r.calls} |`);
if (values.json) {
  console.log(JSON.stringify({ model: label, backend: backendName, stepMs, kernelMs, kernels: rows }));
}
