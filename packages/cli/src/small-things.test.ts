import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

    // The library's progress lines (train()'s default) stay off: the CLI draws its own bar, nothing prints twice.
    const printed = vi.spyOn(console, "log");
    let timed: Awaited<ReturnType<typeof run>>;
    try {
      timed = await run(...tiny, "--out", join(tmp, "timed"), "--max-minutes", "0.05");
      expect(printed.mock.calls.map((c) => String(c[0])).filter((l) => /^training from step|steps\/s · /.test(l))).toEqual([]);
    } finally {
      printed.mockRestore();
    }
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
    // The same through `gan sample` (its weights need not be read: the model is rebuilt first).
    await writeFile(join(runDir, "generator.safetensors"), "");
    const sampled = await run("sample", "--checkpoint", join(runDir, "generator.safetensors"), "--out", join(tmp, "plugin-grid.png"));
    expect(sampled.code).toBe(1);
    expect(sampled.err).toMatch(/No layer registered as 'pooled-attention'.*the run was trained with the attention layer 'pooled-attention': pass the --plugin that registers it/);
    expect(existsSync(join(tmp, "plugin-grid.png"))).toBe(false);
  });

  it("a truncated JPEG fails before the run folder exists, naming the file and --skip-invalid; --skip-invalid trains without it", async () => {
    const dir = join(tmp, "with-truncated");
    await mkdir(dir, { recursive: true });
    for (const f of await readdir(data)) await copyFile(join(data, f), join(dir, f));
    const bytes = await readFile(join(data, "img_7_0.jpg"));
    await writeFile(join(dir, "cut.jpg"), bytes.subarray(0, bytes.length >> 1));
    const out = join(tmp, "truncated-run");
    const tiny = ["train", "--data", dir, "--batch-size", "4", "--width", "4", "--epochs", "1", "--backend", "wasm", "--threads", "1", "--quiet", "--out", out];
    const failed = await run(...tiny);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/cut\.jpg: truncated file/);
    expect(failed.err).toMatch(/pass --skip-invalid to leave them out/);
    expect(existsSync(out)).toBe(false);

    const skipped = await run(...tiny, "--skip-invalid");
    expect(skipped.code, skipped.err).toBe(0);
    expect(skipped.err).toMatch(/Skipping 1 invalid image file\(s\)[\s\S]*cut\.jpg/);
    expect(skipped.out).toMatch(/data: 8 images/);
  });

  it("--out naming a file, or under a file, fails at once naming --out", async () => {
    const file = join(tmp, "a-file");
    await writeFile(file, "x");
    const tiny = ["train", "--data", data, "--width", "4", "--epochs", "1", "--backend", "cpu", "--quiet"];
    const onFile = await run(...tiny, "--out", file);
    expect(onFile.code).toBe(1);
    expect(onFile.err).toBe(`gan: error: --out: ${file} is a file, expected a run folder (a new or existing folder)\n`);
    const under = await run(...tiny, "--out", join(file, "run"));
    expect(under.code).toBe(1);
    expect(under.err).toMatch(/--out: .*a-file\/run cannot be created: .*a-file is a file/);
  });

  it("--out in a folder without write permission fails at once, naming --out", async () => {
    const readOnly = join(tmp, "read-only");
    await mkdir(readOnly, { recursive: true });
    await chmod(tmp, 0o755);
    await chmod(readOnly, 0o555);
    const args = ["train", "--data", data, "--out", join(readOnly, "run"), "--backend", "cpu", "--quiet"];
    let code: number;
    let err: string;
    if (process.getuid?.() === 0) {
      // Root may write anywhere: run the built command as an unprivileged user.
      const bin = new URL("../dist/bin.js", import.meta.url).pathname;
      const r = spawnSync(process.execPath, [bin, ...args], { uid: 65534, gid: 65534, encoding: "utf8" });
      [code, err] = [r.status ?? -1, r.stderr];
    } else {
      ({ code, err } = await run(...args));
    }
    expect(code).toBe(1);
    expect(err).toMatch(/--out: .*read-only\/run is not writable \(no write permission on .*read-only\)/);
  });
});
