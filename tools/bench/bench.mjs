// `pnpm bench`: the real training step of DCGAN and SAGAN at batch 64 on every embedded backend that can
// train, alternating with the committed PyTorch reference (tools/bench/reference_step.py) when Debian's PyTorch
// is installed, each run in its own process. Prints a table and one JSON line per result.
// The headline ratio divides by PyTorch doing the same work as our step (fakes detached for D's step, D's
// parameters frozen for G's step: `--loop same`); the article's loop as written, which computes gradients it
// throws away, is a second column. A 2048² fp32 torch.mm gives the machine's matmul ceiling, and each step's
// FLOPs (counted by reference_step.py) give our GFLOP/s as a share of it.
// Options: --models dcgan,sagan --backends wasm --rounds 2 --iters 5 --warmup 1 --batch 64 [--threads 1,auto] [--side 32|64|128]
// (--threads: wasm thread counts to compare, each its own row, interleaved with the others and PyTorch within each
// round; default: selectBackend's default, one per logical CPU. PyTorch runs with one thread per logical CPU.)
// (--side: both sides run the scaled nets for that image side, tools/bench/scaled-nets.mjs and `scaled_nets` in
// reference_step.py, the article's blocks stacked from 4×4 to the side; default: the article's 64×64 nets.)
import { execFileSync, spawnSync } from "node:child_process";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: "string", default: "dcgan,sagan" },
    backends: { type: "string", default: "wasm" },
    rounds: { type: "string", default: "2" },
    iters: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    batch: { type: "string", default: "64" },
    threads: { type: "string" },
    side: { type: "string" },
  },
});
const common = ["--batch", values.batch, "--iters", values.iters, "--warmup", values.warmup, ...(values.side ? ["--side", values.side] : [])];
const threadVariants = values.threads == null ? [null] : values.threads.split(",");
const torchThreads = String(os.availableParallelism());
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
if (!hasTorch) console.error("Debian's PyTorch is not installed (apt-get install python3-torch libopenblas0-pthread): no reference timings");

// OpenBLAS picks its fastest kernels only without the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides that this
// workplace sets for old builds; the reference runs without them (see docs/performance.md).
const torchEnv = { ...process.env };
delete torchEnv.OPENBLAS_CORETYPE;
delete torchEnv.OPENBLAS_L2_SIZE;

function run(cmd, args, env = process.env) {
  const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24, env });
  return JSON.parse(out.trim().split("\n").pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (const model of values.models.split(",")) {
  const torchTimes = [];
  const articleTimes = [];
  let gflopPerIter = null;
  let ceilingGflops = null;
  const ours = {};
  for (const backend of values.backends.split(",")) {
    for (const threads of threadVariants) ours[`${backend}|${threads ?? ""}`] = { backend, threads, times: [], rss: 0, threadCounts: new Set() };
  }
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const variant of Object.values(ours)) {
      const threadArgs = variant.threads == null ? [] : ["--threads", variant.threads];
      const r = run(process.execPath, [join(here, "step.mjs"), "--model", model, "--backend", variant.backend, ...common, ...threadArgs]);
      variant.times.push(...r.times_ms.slice(Number(values.warmup)));
      variant.threadCounts.add(r.threads);
      variant.rss = Math.max(variant.rss, r.peak_rss_mb);
    }
    if (hasTorch) {
      for (const loop of ["same", "article"]) {
        const ceiling = round === 0 && loop === "same" ? ["--ceiling"] : [];
        const r = run("/usr/bin/python3", [join(here, "reference_step.py"), "--model", model, "--threads", torchThreads, "--loop", loop, ...ceiling, ...common], torchEnv);
        const into = loop === "same" ? torchTimes : articleTimes;
        into.push(...r.times_ms);
        into.rss = Math.max(into.rss ?? 0, r.peak_rss_mb);
        gflopPerIter = r.gflop_per_iter;
        if (r.ceiling_gflops) ceilingGflops = r.ceiling_gflops;
      }
    }
  }
  const torchMs = torchTimes.length ? median(torchTimes) : null;
  const articleMs = articleTimes.length ? median(articleTimes) : null;
  for (const { backend, threads: asked, times, rss, threadCounts } of Object.values(ours)) {
    const ms = median(times);
    const line = {
      model,
      side: Number(values.side ?? 64),
      backend,
      threads_option: asked ?? "default",
      threads: [...threadCounts].sort().join(","), // what each process ran with ("auto" counts idle CPUs at start)
      ms_per_iter: Math.round(ms),
      pytorch_ms_per_iter: torchMs && Math.round(torchMs),
      ratio: torchMs ? Number((ms / torchMs).toFixed(2)) : null,
      pytorch_article_loop_ms_per_iter: articleMs && Math.round(articleMs),
      ratio_article_loop: articleMs ? Number((ms / articleMs).toFixed(2)) : null,
      gflop_per_iter: gflopPerIter,
      gflops: gflopPerIter && Number(((gflopPerIter * 1000) / ms).toFixed(1)),
      pytorch_gflops: gflopPerIter && torchMs && Number(((gflopPerIter * 1000) / torchMs).toFixed(1)),
      ceiling_gflops: ceilingGflops,
      peak_rss_mb: rss,
      pytorch_peak_rss_mb: torchTimes.rss ?? null,
      samples: times.length,
    };
    results.push(line);
    console.log(JSON.stringify(line));
  }
}
console.log(
  `\n| model | backend (threads) | ms/iter | PyTorch, same gradients (${torchThreads} threads) | **ratio** | PyTorch, article's loop | ratio | GFLOP/s ours / PyTorch (ceiling) | peak RSS MB (ours / PyTorch) |\n|---|---|---|---|---|---|---|---|---|`,
);
for (const r of results) {
  const threads = r.threads_option === String(r.threads) ? r.threads : `${r.threads_option}: ${r.threads}`;
  const share = r.gflops && r.ceiling_gflops ? ` = ${Math.round((100 * r.gflops) / r.ceiling_gflops)}%` : "";
  console.log(
    `| ${r.model}${values.side ? ` ${r.side}×${r.side}` : ""} | ${r.backend} (${threads}) | ${r.ms_per_iter} | ${r.pytorch_ms_per_iter ?? "-"} | **${r.ratio ?? "-"}×** | ${r.pytorch_article_loop_ms_per_iter ?? "-"} | ${r.ratio_article_loop ?? "-"}× | ${r.gflops ?? "-"} / ${r.pytorch_gflops ?? "-"} (${r.ceiling_gflops ?? "-"})${share} | ${r.peak_rss_mb} / ${r.pytorch_peak_rss_mb ?? "-"} |`,
  );
}
