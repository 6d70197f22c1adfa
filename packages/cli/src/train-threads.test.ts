// Runs in its own worker: `gan train` starts the wasm backend here with the default `--threads auto`.
import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { wasmThreadGovernor } from "@gan/backend/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run } from "./test-support";

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-threads-"));
  data = join(tmp, "img_78");
  expect((await run("prepare", "mnist78", "--out", data, "--per-digit", "4")).code).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("gan train --threads auto", () => {
  it("feeds the wasm thread governor every step, which probes 1 thread after step 8", async () => {
    const cpus = vi.spyOn(os, "availableParallelism").mockReturnValue(2); // the same on every machine
    const out = join(tmp, "auto");
    const flags = ["--model", "dcgan", "--width", "4", "--batch-size", "2", "--epochs", "8", "--no-eval", "--quiet"];
    const r = await run("train", "--data", data, ...flags, "--backend", "wasm", "--sample-every", "1000", "--checkpoint-every", "1000", "--out", out);
    cpus.mockRestore();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/using wasm \(tfjs [\d.]+, SIMD, 2 threads/);
    const governor = wasmThreadGovernor();
    expect(governor).not.toBeNull();
    expect(governor?.probes[0]).toMatchObject({ from: 2, to: 1 });
    // The first probe starts after step 8 and takes at most 4 pairs of steps.
    expect(governor?.probes[0].step).toBeGreaterThanOrEqual(8);
    expect(governor?.probes[0].step).toBeLessThanOrEqual(16);
  });
});
