#!/usr/bin/env node
// Trains a small SAGAN with the `gan` command line and exports it for the page: what the end-to-end test serves,
// and how public/model (the model the build ships) was made. Each step is a plain `gan` command:
//
//   gan prepare mnist78 --per-digit 8 --out WORK/data
//   gan train --model sagan --width 4 --batch-size 8 --epochs 1 --backend wasm --data WORK/data --out WORK/sagan-mnist78
//   gan export-web --run WORK/sagan-mnist78 --out OUT
//
// (--model dcgan trains the DCGAN instead, with the same settings.) --conditional trains a class-conditional one on
// the 7s and 8s in class sub-folders:
//
//   gan prepare mnist --digits 7,8 --per-digit 8 --out WORK/data-classes
//   gan train --conditional --model sagan ... --data WORK/data-classes --out WORK/sagan-mnist78-conditional
//
// Usage: node scripts/make-model.mjs [--out public/model] [--work .tmp/model] [--model sagan] [--width 4] [--epochs 1]
//        [--per-digit 8] [--batch-size 8] [--g-lr 1e-4] [--d-lr 4e-4] [--backend wasm] [--seed 0] [--conditional]
// The defaults train two steps in seconds (the end-to-end test's fresh model): real weights, flat grey images.
// The model in public/model trained longer; the README gives its command line.
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
    model: { type: "string", default: "sagan" },
    width: { type: "string", default: "4" },
    epochs: { type: "string", default: "1" },
    "per-digit": { type: "string", default: "8" },
    "batch-size": { type: "string", default: "8" },
    "g-lr": { type: "string", default: "1e-4" },
    "d-lr": { type: "string", default: "4e-4" },
    backend: { type: "string", default: "wasm" },
    seed: { type: "string", default: "0" },
    conditional: { type: "boolean", default: false },
  },
});
const gan = join(dirname(createRequire(import.meta.url).resolve("@gan/cli/package.json")), "dist", "bin.js");
const work = resolve(o.work);
const runDir = join(work, `${o.model}-mnist78${o.conditional ? "-conditional" : ""}`);
const data = join(work, o.conditional ? "data-classes" : "data");
rmSync(runDir, { recursive: true, force: true }); // A fresh run, not a resumed one.

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

if (o.conditional) run("prepare", "mnist", "--digits", "7,8", "--per-digit", o["per-digit"], "--out", data);
else run("prepare", "mnist78", "--per-digit", o["per-digit"], "--out", data);
run(
  "train",
  ...(o.conditional ? ["--conditional"] : []),
  ...["--model", o.model, "--width", o.width, "--batch-size", o["batch-size"], "--epochs", o.epochs, "--seed", o.seed],
  ...["--g-lr", o["g-lr"], "--d-lr", o["d-lr"]],
  ...["--backend", o.backend, "--data", data, "--out", runDir, "--quiet"],
);
run("export-web", "--run", runDir, "--out", resolve(o.out));
