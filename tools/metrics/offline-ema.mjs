// An EMA of the generator with another decay, computed after training from the raw-generator checkpoints a run
// kept (`gan train --keep 100`, one every `--every` steps): each checkpoint's weights stand for the `every` steps
// that end at it, and the per-step recursion `ema ← d·ema + (1 − d)·w` (with the trainer's warm-up
// `min(d, (1 + n) / (10 + n))` unless --no-warmup) becomes a weighted sum of the checkpoints. BatchNorm statistics
// are measured for the averaged weights as `generatorEma` does (10 batches of 64 codes from Random(0)). Writes a
// run folder holding one checkpoint whose `generator-ema.safetensors` is that average, for `gan eval --ema`.
// With the run's own decay it reproduces the trained EMA's scores closely (docs/quality.md, "A longer EMA").
// Usage (after `pnpm --filter @gan/cli... build`):
//   node tools/metrics/offline-ema.mjs --run runs/FUL2 --step 2304 --decay 0.998 --out runs/FUL2-ema998 [--every 64] [--no-warmup]
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../../packages/backend/dist/node.js";
import { generatorOf } from "../../packages/cli/dist/index.js";
import { decodeSafetensors, encodeSafetensors, Random, standingStatistics } from "../../packages/layers/dist/index.js";
import { CHECKPOINT_FILES, checkpointName, EMA_GENERATOR_FILE } from "../../packages/trainer/dist/index.js";
// tfjs as @gan/layers resolves it (one engine instance).
const tf = createRequire(new URL("../../packages/layers/package.json", import.meta.url))("@tensorflow/tfjs-core");

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    step: { type: "string" },
    decay: { type: "string" },
    out: { type: "string" },
    every: { type: "string", default: "64" },
    "no-warmup": { type: "boolean", default: false },
    threads: { type: "string", default: "1" },
  },
});
for (const key of ["run", "step", "decay", "out"]) if (values[key] === undefined) throw new Error(`offline-ema: --${key} is required`);
const step = Number(values.step);
const every = Number(values.every);
const decay = Number(values.decay);
if (!Number.isInteger(step / every) || step <= 0) throw new Error(`offline-ema: --step must be a positive multiple of --every (${every}), got ${values.step}`);
if (!(decay >= 0 && decay < 1)) throw new Error(`offline-ema: --decay must be in [0, 1), got ${values.decay}`);
await selectBackend("wasm", { threads: Number(values.threads), log() {} });

// coefficient[k]: the weight of checkpoint k (step k·every) in the average; coefficient[0], the initial weights',
// which no checkpoint holds, goes to the first checkpoint.
const count = step / every;
const coefficient = new Float64Array(count + 1);
coefficient[0] = 1;
for (let t = 1; t <= step; t++) {
  const d = values["no-warmup"] ? decay : Math.min(decay, t / (9 + t)); // (1 + n) / (10 + n) with n = t − 1
  for (let k = 0; k <= count; k++) coefficient[k] *= d;
  coefficient[Math.ceil(t / every)] += 1 - d;
}
coefficient[1] += coefficient[0];

const folder = (k) => join(values.run, "checkpoints", checkpointName(k * every));
const readGenerator = (k) => decodeSafetensors(readFileSync(join(folder(k), CHECKPOINT_FILES.generator)), folder(k)).tensors;
const generator = await generatorOf(values.run);
const params = new Set(generator.parameters());
const state = generator.stateDict();
const averaged = Object.keys(state).filter((name) => params.has(state[name]) && state[name].dtype === "float32");
const sum = Object.fromEntries(averaged.map((name) => [name, tf.zerosLike(state[name])]));
// The last checkpoint also gives the buffers (BatchNorm statistics, before they are measured again).
const last = readGenerator(count);
for (let k = 1; k <= count; k++) {
  if (coefficient[k] < 1e-7) continue;
  const weights = k === count ? last : readGenerator(k);
  for (const name of averaged) {
    const next = tf.add(sum[name], tf.mul(weights[name], coefficient[k]));
    sum[name].dispose();
    sum[name] = next;
  }
  if (weights !== last) tf.dispose(Object.values(weights));
}
generator.loadStateDict({ ...last, ...sum }, { strict: true });
tf.dispose([...Object.values(last), ...Object.values(sum)]);
const random = new Random(0);
standingStatistics(generator, 10, () => generator.forward(random.normal([64, generator.zDim])));

const out = join(values.out, "checkpoints", checkpointName(step));
mkdirSync(out, { recursive: true });
copyFileSync(join(values.run, "config.json"), join(values.out, "config.json"));
for (const file of readdirSync(folder(count))) copyFileSync(join(folder(count), file), join(out, file));
writeFileSync(join(out, EMA_GENERATOR_FILE), encodeSafetensors(generator.stateDict()));
console.log(`${out}: EMA of decay ${decay}${values["no-warmup"] ? "" : " (warmed up)"} over ${count} checkpoints; the last one weighs ${coefficient[count].toFixed(3)}`);
