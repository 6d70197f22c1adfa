// The evaluations of one or more runs side by side, as a Markdown table: per run and evaluation, the step, the
// seconds of training and, for G and its EMA, the share of conditional samples classified as the class asked
// for, coverage (classes with ≥ 2% of the confident samples), purity and FID (written by `gan train
// --eval-every`). A run without evaluations (RGB data) prints its last sample grids instead. Usage:
//   node tools/metrics/run-table.mjs runs/fashion-c0 runs/fashion-c1 [--every 2]
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ options: { every: { type: "string", default: "1" } }, allowPositionals: true });
if (positionals.length === 0) throw new Error("usage: node tools/metrics/run-table.mjs RUN_DIR... [--every N]");
const every = Number(values.every);
const num = (x, digits) => (typeof x === "number" ? x.toFixed(digits) : "—");
const side = (m) => `${num(m.conditionalAccuracy, 3)} | ${m.coverage ?? "—"} | ${num(m.purity, 3)} | ${num(m.fid, 0)}`;

console.log("| run | step | train s | accuracy | coverage | purity | FID | EMA accuracy | EMA coverage | EMA purity | EMA FID |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const runDir of positionals) {
  const file = join(runDir, "metrics.jsonl");
  if (!existsSync(file)) throw new Error(`${file}: missing (is ${runDir} a run folder?)`);
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const evals = lines.filter((r) => r.type === "eval");
  if (evals.length === 0) {
    const steps = lines.filter((r) => r.type === "step");
    const grids = existsSync(join(runDir, "samples-ema")) ? readdirSync(join(runDir, "samples-ema")).sort() : [];
    console.log(`| ${basename(runDir)} | ${steps.at(-1)?.step ?? 0} | — | no evaluations; last EMA grid: ${grids.at(-1) ?? "none"} | | | | | | | |`);
    continue;
  }
  evals.forEach((e, i) => {
    if (i % every !== every - 1 && i !== evals.length - 1) return;
    console.log(`| ${basename(runDir)} | ${e.step} | ${e.trainSeconds.toFixed(0)} | ${side(e)} | ${e.ema ? side(e.ema) : "— | — | — | —"} |`);
  });
}
