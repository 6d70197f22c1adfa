#!/usr/bin/env node
// Trains a small SAGAN with the `gan` command line and exports it for the page: what the end-to-end test serves,
// and how public/model (the model the build ships) was made. Each step is a plain `gan` command:
//
//   gan prepare mnist78 --per-digit 8 --out WORK/data
//   gan train --model sagan --width 4 --batch-size 8 --epochs 1 --backend wasm --data WORK/data --out WORK/sagan-mnist78
//   gan export-web --run WORK/sagan-mnist78 --out OUT
//
// Usage: node scripts/make-model.mjs [--out public/model] [--work .tmp/model] [--width 4] [--epochs 1]
//        [--per-digit 8] [--batch-size 8] [--backend wasm] [--seed 0]
// A few training steps only: enough for real weights, not for digits (see the README for a longer run).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: o } = parseArgs({
  options: {
    out: { type: "string", default: join(here, "..", "public", "model") },
    work: { type: "string", default: join(here, "..", ".tmp", "model") },
    width: { type: "string", default: "4" },
    epochs: { type: "string", default: "1" },
    "per-digit": { type: "string", default: "8" },
    "batch-size": { type: "string", default: "8" },
    backend: { type: "string", default: "wasm" },
    seed: { type: "string", default: "0" },
  },
});
const gan = join(dirname(createRequire(import.meta.url).resolve("@gan/cli/package.json")), "dist", "bin.js");
const work = resolve(o.work);
rmSync(join(work, "sagan-mnist78"), { recursive: true, force: true }); // A fresh run, not a resumed one.

function run(...args) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [gan, ...args], { encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`gan ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  }
  const last = r.stdout.trim().split("\n").pop();
  console.log(`gan ${args[0]}: ${last} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

run("prepare", "mnist78", "--per-digit", o["per-digit"], "--out", join(work, "data"));
run(
  "train",
  ...["--model", "sagan", "--width", o.width, "--batch-size", o["batch-size"], "--epochs", o.epochs, "--seed", o.seed],
  ...["--backend", o.backend, "--data", join(work, "data"), "--out", join(work, "sagan-mnist78"), "--quiet"],
);
run("export-web", "--run", join(work, "sagan-mnist78"), "--out", resolve(o.out));
