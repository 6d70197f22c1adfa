#!/usr/bin/env node
// The soak test (a benchmark, not part of `pnpm test`): trains a tiny DCGAN for --steps steps through `gan train`
// (the built CLI, in its own process) with the standard run folder — metrics, sample grids, attention figures,
// loss plot and checkpoints every --every epochs — and samples the process's resident memory (VmRSS) every second.
// It passes when, after the warm-up (the first --warmup share of the run), RSS stays within --bound MB (default 20) of its
// post-warm-up median, and writes rss.json and a summary line.
// Usage (after `pnpm build`):
//   node tools/bench/soak.mjs [--steps 10000] [--every 50] [--warmup 0.2] [--bound 20] [--out /tmp/gan-soak]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const gan = join(root, "packages", "cli", "dist", "bin.js");
const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "10000" },
    every: { type: "string", default: "50" },
    warmup: { type: "string", default: "0.2" },
    bound: { type: "string", default: "20" },
    out: { type: "string", default: "/tmp/gan-soak" },
  },
});
if (!existsSync(gan)) throw new Error(`${gan} is missing: run pnpm build first`);
const steps = Number(values.steps);
const out = values.out;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// 32 digits in batches of 8: 4 steps an epoch.
const data = join(out, "data");
const prepared = spawnSync(process.execPath, [gan, "prepare", "mnist78", "--out", data, "--per-digit", "16"], { stdio: "inherit" });
if (prepared.status !== 0) throw new Error("gan prepare failed");
const epochs = Math.ceil(steps / 4);
const args = ["train", "--model", "dcgan", "--width", "8", "--batch-size", "8", "--epochs", String(epochs), "--data", data, "--out", join(out, "run")];
args.push("--backend", "wasm", "--threads", "1", "--sample-every", values.every, "--checkpoint-every", values.every, "--keep", "2", "--quiet");

const rssMb = (pid) => {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
const started = Date.now();
const child = spawn(process.execPath, [gan, ...args], { stdio: ["ignore", "pipe", "inherit"] });
let lastLine = "";
child.stdout.on("data", (chunk) => {
  lastLine = String(chunk).trim().split("\n").at(-1) ?? lastLine;
});
const samples = [];
const timer = setInterval(() => {
  const rss = rssMb(child.pid);
  if (rss !== undefined) samples.push({ seconds: (Date.now() - started) / 1000, rssMb: Math.round(rss * 10) / 10 });
}, 1000);
const code = await new Promise((resolve) => child.on("exit", resolve));
clearInterval(timer);
if (code !== 0) throw new Error(`gan train exited with ${code}: ${lastLine}`);

const after = samples.slice(Math.floor(samples.length * Number(values.warmup)));
const sorted = after.map((s) => s.rssMb).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const [min, max] = [sorted[0], sorted.at(-1)];
const firstTenth = after.slice(0, Math.max(1, Math.floor(after.length / 10)));
const lastTenth = after.slice(-Math.max(1, Math.floor(after.length / 10)));
const mean = (xs) => xs.reduce((a, s) => a + s.rssMb, 0) / xs.length;
const drift = mean(lastTenth) - mean(firstTenth);
const pass = max - median <= Number(values.bound) && median - min <= Number(values.bound);
const summary = {
  steps,
  seconds: Math.round((Date.now() - started) / 1000),
  samples: samples.length,
  rssMb: { start: samples[0]?.rssMb, afterWarmupMedian: median, afterWarmupMin: min, afterWarmupMax: max, driftLastVsFirstTenth: Math.round(drift * 10) / 10 },
  boundMb: Number(values.bound),
  pass,
};
writeFileSync(join(out, "rss.json"), `${JSON.stringify({ summary, samples }, null, 1)}\n`);
console.log(JSON.stringify(summary));
console.log(`${lastLine}\nsoak ${pass ? "passed" : "FAILED"}: RSS after warm-up ${min}–${max} MB (median ${median}), drift ${summary.rssMb.driftLastVsFirstTenth} MB; samples in ${join(out, "rss.json")}`);
process.exitCode = pass ? 0 : 1;
