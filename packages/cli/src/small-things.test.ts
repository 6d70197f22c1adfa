import "@tensorflow/tfjs-backend-cpu";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatorOf } from "./models";
import { run } from "./test-support";

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-small-"));
  data = join(tmp, "img_78");
  expect((await run("prepare", "mnist78", "--out", data, "--per-digit", "4")).code).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("gan: the small things", () => {
  it("--version prints @gan/cli's version", async () => {
    const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    for (const flag of ["--version", "-V"]) {
      const r = await run(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(version);
    }
  });

  it("gan info lists each version once, Node's included", async () => {
    const r = await run("info", "--backend", "cpu");
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split("\n");
    expect(lines.filter((l) => /^node /.test(l))).toEqual([`node ${process.versions.node}`]);
    expect(lines).toContain(`@gan/recipes ${JSON.parse(await readFile(new URL("../../recipes/package.json", import.meta.url), "utf8")).version}`);
  });

  it("a run stopped by Ctrl-C says so and exits 130; --max-minutes is a normal stop", async () => {
    const tiny = ["train", "--data", data, "--batch-size", "4", "--width", "4", "--epochs", "1000", "--backend", "wasm", "--threads", "1", "--quiet", "--sample-every", "1000", "--checkpoint-every", "1000"];
    const timer = setTimeout(() => process.emit("SIGINT"), 4000);
    const interrupted = await run(...tiny, "--out", join(tmp, "interrupted"));
    clearTimeout(timer);
    expect(interrupted.code, interrupted.err).toBe(130);
    expect(interrupted.out).toMatch(/interrupted: \d+ steps; pictures and checkpoints in .*interrupted \('gan train --resume --out .*' continues it\)/);

    const timed = await run(...tiny, "--out", join(tmp, "timed"), "--max-minutes", "0.05");
    expect(timed.code, timed.err).toBe(0);
    expect(timed.out).toMatch(/stopped at --max-minutes 0\.05: \d+ steps/);
    expect(timed.out).not.toMatch(/aborted/);
  });

  it("a run trained with a plugin's layer: rebuilding it without the plugin names the layer and --plugin", async () => {
    const runDir = join(tmp, "plugin-run");
    await mkdir(runDir, { recursive: true });
    const model = { model: "sagan", zDim: 20, width: 4, channels: 1, seed: 0, attention: "pooled-attention" };
    await writeFile(join(runDir, "config.json"), JSON.stringify({ extra: { model } }));
    await expect(generatorOf(runDir)).rejects.toThrow(/No layer registered as 'pooled-attention'.*pass the --plugin that registers it/);
  });
});
