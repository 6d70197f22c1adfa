#!/usr/bin/env node
// Makes public/model, the generator the build ships: the README's main job, then its averaged generator exported
// for the page and scored. Each step is a plain `gan` command:
//
//   gan demo --seed 0 --out WORK/demo                                  # the fast recipe on MNIST 7/8, 5 minutes
//   gan export-web --run WORK/demo --ema --out public/model            # the EMA generator of its last checkpoint
//   gan eval --run WORK/demo --ema --n 400                             # FID, purity, balance (n = 400)
//
// Usage: node scripts/ship-model.mjs [--out public/model] [--work .tmp/ship] [--seed 0] [--minutes 5]
// Run it on a machine with nothing else running: the demo trains for a fixed time, so a busy machine makes fewer
// steps (and a weaker model).
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
    work: { type: "string", default: join(here, "..", ".tmp", "ship") },
    seed: { type: "string", default: "0" },
    minutes: { type: "string", default: "5" },
  },
});
const gan = join(dirname(createRequire(import.meta.url).resolve("@gan/cli/package.json")), "dist", "bin.js");
const run = join(resolve(o.work), "demo");
rmSync(run, { recursive: true, force: true }); // A fresh run, not a resumed one.

for (const args of [
  ["demo", "--seed", o.seed, "--minutes", o.minutes, "--data", join(resolve(o.work), "img_78"), "--out", run],
  ["export-web", "--run", run, "--ema", "--out", resolve(o.out)],
  ["eval", "--run", run, "--ema", "--n", "400"],
]) {
  const r = spawnSync(process.execPath, [gan, ...args], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`gan ${args.join(" ")} exited with ${r.status ?? r.signal}`);
}
