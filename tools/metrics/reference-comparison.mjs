// The reference comparison of docs/quality.md: trains the article's PyTorch DCGAN and SAGAN
// (tools/metrics/reference_samples.py, Debian's python3-torch) and this toolkit's, on the same images, for the
// same iterations and with the same hyper-parameters, and scores every `--every` iterations with @gan/metrics
// (FID, KID, purity, balance at equal n). This project's runs are scored plain, with an EMA of G, and with
// DiffAugment + EMA. Usage, after `pnpm --filter @gan/cli... build` and `gan prepare mnist78`:
//
//   node tools/metrics/reference-comparison.mjs --models dcgan --iterations 500 --every 100 --width 16 --batch-size 16
//   node tools/metrics/reference-comparison.mjs --models sagan --iterations 300 --every 100 --width 16 --batch-size 16
// (the two tables of docs/quality.md).
//
// Writes <out>/comparison-<models>.md (the table docs/quality.md quotes) and .json; finished parts are
// reused on a rerun (delete <out> to start over). Threads: each training process gets --threads (default 1:
// on a shared machine more threads spin-wait), and the runs go one after another.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: a } = parseArgs({
  options: {
    iterations: { type: "string", default: "500" },
    every: { type: "string", default: "100" },
    width: { type: "string", default: "16" },
    "batch-size": { type: "string", default: "16" },
    models: { type: "string", default: "sagan,dcgan" },
    data: { type: "string", default: "data/img_78" },
    out: { type: "string", default: "runs/quality" },
    n: { type: "string", default: "400" },
    seed: { type: "string", default: "0" },
    threads: { type: "string", default: "1" },
    "ema-decay": { type: "string", default: "0.99" },
  },
});
const iterations = Number(a.iterations);
const every = Number(a.every);
const width = Number(a.width);
const batchSize = Number(a["batch-size"]);
const n = Number(a.n);
const models = a.models.split(",");
const images = readdirCount(a.data);
const perEpoch = Math.ceil(images / batchSize);
if (iterations % perEpoch !== 0 || every % perEpoch !== 0) {
  throw new Error(`--iterations and --every must be multiples of the ${perEpoch} batches per epoch (${images} images, --batch-size ${batchSize})`);
}
mkdirSync(a.out, { recursive: true });

function readdirCount(dir) {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)) : [];
  if (files.length === 0) throw new Error(`--data: no images in ${dir} (run 'gan prepare mnist78 --out ${dir}')`);
  return files.length;
}

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} failed with status ${r.status}`);
}

// 1. Training, one process at a time.
const ours = [
  { variant: "plain", label: "this project", diffAugment: false },
  { variant: "diffaug", label: "this project + DiffAugment", diffAugment: true },
];
const common = ["--iterations", a.iterations, "--every", a.every, "--width", a.width, "--batch-size", a["batch-size"], "--seed", a.seed];
for (const model of models) {
  const refDir = join(a.out, `reference-${model}`);
  if (!existsSync(join(refDir, `samples-${iterations}.safetensors`))) {
    run("/usr/bin/python3", ["tools/metrics/reference_samples.py", "--model", model, "--data", a.data, "--n", a.n, "--threads", a.threads, "--out", refDir, ...common]);
  }
  for (const o of ours) {
    const dir = join(a.out, `${model}-${o.variant}`);
    if (existsSync(join(dir, "done.json"))) continue;
    run(process.execPath, [
      "tools/metrics/train-scored.mjs", "--model", model, "--data", a.data, "--n", a.n, "--threads", a.threads, "--out", dir,
      "--ema-decay", a["ema-decay"], ...(o.diffAugment ? ["--diff-augment"] : []), ...common,
    ]);
  }
}

// 2. Scores: every run's samples, with the same classifier and the same real reference digits.
const require = createRequire(new URL("../../packages/metrics/package.json", import.meta.url));
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");
const { evaluateImages } = await import("../../packages/metrics/dist/node.js");
const { decodeSafetensors } = await import("../../packages/layers/dist/index.js");
await tf.setBackend("cpu");

/** The scores of the `images` tensor of a samples file (decoded, scored, freed). */
async function scoreFile(file) {
  const { tensors } = decodeSafetensors(readFileSync(file), file);
  try {
    const r = await evaluateImages(tensors.images, { n });
    return { fid: r.fid, kid: r.kid, purity: r.purity, balance: r.balance };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

const rows = [];
const checkpoints = Array.from({ length: iterations / every }, (_, i) => (i + 1) * every);
for (const model of models) {
  const refDir = join(a.out, `reference-${model}`);
  const log = readFileSync(join(refDir, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  for (const step of checkpoints) {
    const scores = await scoreFile(join(refDir, `samples-${step}.safetensors`));
    rows.push({ model, who: "reference PyTorch", step, seconds: log[step - 1].train_seconds, ...scores });
  }
  for (const o of ours) {
    const dir = join(a.out, `${model}-${o.variant}`);
    const { trainSeconds } = JSON.parse(readFileSync(join(dir, "done.json"), "utf8"));
    for (const step of checkpoints) {
      for (const [file, who] of [[`samples-${step}`, o.label], [`samples-ema-${step}`, `${o.label}, EMA G`]]) {
        rows.push({ model, who, step, seconds: trainSeconds[step], ...(await scoreFile(join(dir, `${file}.safetensors`))) });
      }
    }
  }
}

const fmt = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : "—");
const md = [
  `Width ${width} (the article's \`image_size\`), batch ${batchSize}, ${images} images, Adam g_lr 1e-4, d_lr 4e-4, betas (0, 0.9), seed ${a.seed};`,
  `BCE for DCGAN, hinge for SAGAN; scored at n = ${n} against ${n} held-out real 7s and 8s. EMA decay ${a["ema-decay"]}. Seconds: training time of`,
  `each process (${a.threads} thread${a.threads === "1" ? "" : "s"}; PyTorch on the CPU, this project on wasm), scoring excluded.`,
  "",
  "| model | run | iterations | train s | FID | KID | purity | balance (7s) |",
  "|---|---|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.model} | ${r.who} | ${r.step} | ${fmt(r.seconds, 0)} | ${fmt(r.fid, 1)} | ${fmt(r.kid, 1)} | ${fmt(r.purity, 3)} | ${r.purity > 0 ? fmt(r.balance, 2) : "—"} |`),
];
writeFileSync(join(a.out, `comparison-${models.join("-")}.md`), `${md.join("\n")}\n`);
writeFileSync(join(a.out, `comparison-${models.join("-")}.json`), `${JSON.stringify({ args: a, rows }, null, 2)}\n`);
console.log(md.join("\n"));
