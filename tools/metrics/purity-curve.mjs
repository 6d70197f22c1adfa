// Purity of G and of its EMA against seconds of training, from a run's metrics.jsonl eval lines (written by
// `gan train --eval-every` or `gan demo`), as a PNG; prints the points as a Markdown table too. Usage (after
// `pnpm --filter @gan/trainer... build`):
//   node tools/metrics/purity-curve.mjs runs/demo docs/images/demo-purity.png
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChartSvg, svgToPng } from "../../packages/trainer/dist/node/index.js";

const [runDir, out] = process.argv.slice(2);
if (!runDir || !out) throw new Error("usage: node tools/metrics/purity-curve.mjs RUN_DIR OUT.png");
const evals = readFileSync(join(runDir, "metrics.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((r) => r.type === "eval");
if (evals.length === 0) throw new Error(`${runDir}/metrics.jsonl has no eval lines (train with --eval-every)`);
const series = [
  { label: "purity, G", points: evals.map((e) => [e.trainSeconds, e.purity]), color: "#d62728", width: 2.5, markers: true },
  ...(evals[0].ema ? [{ label: "purity, EMA G", points: evals.map((e) => [e.trainSeconds, e.ema.purity]), color: "#2ca02c", width: 2.5, markers: true }] : []),
  { label: "target 0.9", points: [[0, 0.9], [evals.at(-1).trainSeconds, 0.9]], color: "#999999", width: 1 },
];
const svg = lineChartSvg(series, { title: `Purity (n=${evals[0].n}) against seconds of training`, xLabel: "seconds of training (evaluation excluded)", yLabel: "purity" });
writeFileSync(out, await svgToPng(svg));
console.log("| step | train s | FID | purity | balance | EMA FID | EMA purity | EMA balance |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const e of evals) {
  const m = e.ema ?? {};
  console.log(`| ${e.step} | ${e.trainSeconds.toFixed(0)} | ${e.fid.toFixed(0)} | ${e.purity.toFixed(3)} | ${e.balance.toFixed(2)} | ${m.fid?.toFixed(0) ?? "—"} | ${m.purity?.toFixed(3) ?? "—"} | ${m.balance?.toFixed(2) ?? "—"} |`);
}
