// One of this project's runs for tools/metrics/reference-comparison.mjs: trains DCGAN or SAGAN with the
// article's hyper-parameters for a number of iterations, keeps an EMA of G, and every `--every` iterations
// writes n samples of G (`samples-<step>.safetensors`) and of the EMA (`samples-ema-<step>.safetensors`), drawn
// in eval mode as the reference script draws its own, for the driver to score all runs with one classifier.
// Usage (after `pnpm --filter @gan/recipes... build`):
//   node tools/metrics/train-scored.mjs --model sagan --iterations 300 --every 100 --width 16 --batch-size 16 \
//     --out runs/quality/sagan-plain [--diff-augment] [--ema-decay 0.99] [--threads 2]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../../packages/backend/dist/node.js";
import { DataLoader } from "../../packages/data/dist/index.js";
import { ImageFolder } from "../../packages/data/dist/node.js";
import { lossByName } from "../../packages/losses/dist/index.js";
import { buildModels, defaultLoss } from "../../packages/recipes/dist/index.js";
import { encodeSafetensors, withDiffAugment } from "../../packages/layers/dist/index.js";
import { sampleGenerator } from "../../packages/metrics/dist/node.js";
import { dataLoaderSource, generatorEma } from "../../packages/trainer/dist/index.js";
import { train } from "../../packages/trainer/dist/node/index.js";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "sagan" },
    data: { type: "string", default: "data/img_78" },
    iterations: { type: "string", default: "500" },
    every: { type: "string", default: "100" },
    width: { type: "string", default: "16" },
    "batch-size": { type: "string", default: "16" },
    n: { type: "string", default: "400" },
    seed: { type: "string", default: "0" },
    threads: { type: "string", default: "1" },
    "ema-decay": { type: "string", default: "0.99" },
    "diff-augment": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
if (!a.out) throw new Error("--out is required");
const seed = Number(a.seed);
await selectBackend("wasm", { threads: Number(a.threads), log: console.log });
const dataset = await ImageFolder.open(a.data, { channels: 1, size: 64 });
const data = dataLoaderSource(new DataLoader(dataset, { batchSize: Number(a["batch-size"]), seed, shuffle: true }));
const { generator, discriminator } = buildModels({ model: a.model, zDim: 20, width: Number(a.width), channels: 1, seed });
const ema = generatorEma({ decay: Number(a["ema-decay"]) });
const everyEpochs = Number(a.every) / data.batchesPerEpoch;

/** n images of the generator in eval mode, z ~ N(0, 1) from Random(seed + 1), as a safetensors file. */
function writeSamples(file, n) {
  const images = sampleGenerator(generator, n, seed + 1);
  writeFileSync(join(a.out, file), encodeSafetensors({ images }));
  images.dispose();
}
const started = performance.now();
const trainSeconds = {};
let sampling = 0;
const result = await train({
  generator,
  discriminator: a["diff-augment"] ? withDiffAugment(discriminator, { policy: "translation,cutout" }) : discriminator,
  loss: lossByName(defaultLoss(a.model)),
  data,
  epochs: Number(a.iterations) / data.batchesPerEpoch,
  seed,
  runDir: a.out,
  sampleEvery: everyEpochs,
  attention: false,
  checkpoints: false,
  callbacks: [
    ema,
    {
      name: "samples-for-scoring",
      async onEpochEnd(ctx) {
        if ((ctx.epoch + 1) % everyEpochs !== 0) return;
        trainSeconds[ctx.step] = Math.round((performance.now() - started) / 1000 - sampling);
        const t0 = performance.now();
        writeSamples(`samples-${ctx.step}.safetensors`, Number(a.n));
        await ema.ema.apply(() => writeSamples(`samples-ema-${ctx.step}.safetensors`, Number(a.n)));
        sampling += (performance.now() - t0) / 1000;
        console.log(`${a.model} step ${ctx.step}: ${trainSeconds[ctx.step]} s of training`);
      },
    },
  ],
  config: { model: a.model, width: Number(a.width), diffAugment: a["diff-augment"], emaDecay: Number(a["ema-decay"]) },
});
writeFileSync(join(a.out, "done.json"), `${JSON.stringify({ status: result.status, step: result.step, trainSeconds })}\n`);
