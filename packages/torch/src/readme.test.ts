import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readTorchStateDict, torchStateDictOf, writeTorchFile } from "./index";

const here = fileURLToPath(new URL("..", import.meta.url));
let dir: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  // Inside the package (.tmp is ignored), so that the example's imports resolve as they would for a user.
  await mkdir(join(here, ".tmp"), { recursive: true });
  dir = await mkdtemp(join(here, ".tmp", "readme-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("the README's example runs (against the built package) and writes a file with both nets", { timeout: 300_000 }, async () => {
  const readme = await readFile(join(here, "README.md"), "utf8");
  const code = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  // sagan.pth as PyTorch would save it (the article's nets), written here with the writer.
  const G = new SaganGenerator({ seed: 1 });
  const D = new SaganDiscriminator({ seed: 2 });
  await writeFile(join(dir, "sagan.pth"), writeTorchFile({ generator: torchStateDictOf(G), discriminator: torchStateDictOf(D) }));
  await writeFile(join(dir, "main.mjs"), code!);
  const r = spawnSync(process.execPath, ["main.mjs"], { cwd: dir, encoding: "utf8" });
  expect(r.stderr.replace(/\n=+\nHi, looks like you are running TensorFlow\.js in Node\.js[\s\S]*?=+\n/, "")).toBe("");
  expect(r.stdout).toBe("[ 4, 64, 64, 1 ]\n");
  const written = new Uint8Array(await readFile(join(dir, "from-tfjs.pth")));
  expect(Object.keys(readTorchStateDict(written, { key: "generator" }))).toEqual(Object.keys(G.stateDict()));
  expect(Object.keys(readTorchStateDict(written, { key: "discriminator" }))).toEqual(Object.keys(D.stateDict()));
  G.dispose();
  D.dispose();
});
