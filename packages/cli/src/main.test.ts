import "@tensorflow/tfjs-backend-cpu";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { run } from "./test-support";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-"));
});

describe("gan: wrong command lines exit 2 with a one-line error and usage", () => {
  it("names a missing required option", async () => {
    const r = await run("train");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error: required option '--data <dir>' not specified/);
    expect(r.err).toMatch(/gan <command> --help/);
  });

  it("rejects an unknown model, with the known ones", async () => {
    const r = await run("train", "--data", tmp, "--model", "biggan");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--model.*expected one of dcgan, sagan, got 'biggan'/);
  });

  it("rejects non-integer and out-of-range numbers", async () => {
    expect((await run("train", "--data", tmp, "--epochs", "0")).err).toMatch(/--epochs.*expected an integer >= 1, got '0'/);
    expect((await run("train", "--data", tmp, "--batch-size", "many")).code).toBe(2);
    expect((await run("train", "--data", tmp, "--g-lr", "-1")).err).toMatch(/expected a number > 0/);
  });

  it("rejects an unknown backend, command and option", async () => {
    expect((await run("train", "--data", tmp, "--backend", "tpu")).err).toMatch(/expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu/);
    expect((await run("fly")).code).toBe(2);
    expect((await run("train", "--data", tmp, "--colour", "red")).err).toMatch(/unknown option '--colour'/);
  });
});

describe("gan: failures exit 1 with a one-line error naming the path", () => {
  it("a data folder that does not exist", async () => {
    const missing = join(tmp, "nope");
    const r = await run("train", "--data", missing, "--backend", "cpu", "--quiet");
    expect(r.code).toBe(1);
    expect(r.err).toBe(`gan: error: --data: ${missing} does not exist (prepare it with 'gan prepare mnist78 --out ${missing}')\n`);
  });

  it("a data path that is a file", async () => {
    const file = join(tmp, "file.txt");
    await writeFile(file, "not a folder");
    const r = await run("train", "--data", file, "--backend", "cpu", "--quiet");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`--data: ${file} is a file, expected a folder of images`));
  });

  it("a folder without images", async () => {
    const r = await run("train", "--data", join(__dirname), "--backend", "cpu", "--quiet");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^gan: error: .*(no images|image)/);
  });

  it("a --rejected path that is not a .png file", async () => {
    const r = await run("eval", "--run", join(tmp, "none"), "--rejected", join(tmp, "rejected.jpg"), "--backend", "cpu");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/gan: error: gan eval: --rejected: expected a \.png file, got '.*rejected\.jpg'\n$/);
  });

  it("a checkpoint path that does not exist", async () => {
    const r = await run("sample", "--checkpoint", join(tmp, "none"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--checkpoint: .*none does not exist/);
  });
});

describe("gan: prepare, train, resume and sample end to end (tiny)", () => {
  it("writes a run folder and a sample grid", async () => {
    const data = join(tmp, "img_78");
    const prep = await run("prepare", "mnist78", "--out", data, "--per-digit", "4");
    expect(prep.code).toBe(0);
    expect(prep.out).toMatch(/wrote 8 images/);

    const runDir = join(tmp, "run");
    const args = ["train", "--model", "sagan", "--data", data, "--batch-size", "4", "--width", "4", "--backend", "cpu", "--out", runDir, "--quiet"];
    const first = await run(...args, "--epochs", "1");
    expect(first.err).not.toMatch(/error/);
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model).toMatchObject({ model: "sagan", width: 4, zDim: 20 });

    expect((await run(...args, "--epochs", "2")).err).toMatch(/already holds checkpoints/);
    const resumed = await run(...args, "--epochs", "2", "--resume");
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/completed: 4 steps/);

    const grid = join(tmp, "grid.png");
    const sample = await run("sample", "--checkpoint", runDir, "--n", "4", "--out", grid);
    expect(sample.code).toBe(0);
    const meta = await sharp(grid).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBeGreaterThanOrEqual(2 * 64);

    const scored = await run("eval", "--run", runDir, "--n", "16");
    expect(scored.err).toBe("");
    expect(scored.code).toBe(0);
    expect(scored.out).toMatch(/n=16 FID [\d.]+ KID -?[\d.e+-]+ purity [\d.]+/);

    // The same scores with --rejected, and a grid of the rejected samples (an untrained G: most of the 16).
    const rejectedPng = join(tmp, "eval", "rejected.png");
    const withRejected = await run("eval", "--run", runDir, "--n", "16", "--rejected", rejectedPng);
    expect(withRejected.err).toBe("");
    expect(withRejected.code).toBe(0);
    const lines = withRejected.out.split("\n");
    const breakdown = lines.pop() ?? "";
    const untimed = (out: string) => out.replace(/ \[[\d.]+ s\]$/, "");
    expect(untimed(lines.join("\n"))).toBe(untimed(scored.out));
    const rejectedCount = Number(breakdown.match(/^rejected (\d+) of 16\b/)?.[1]);
    expect(rejectedCount).toBeGreaterThan(0);
    expect(breakdown).toMatch(/ → .*rejected\.png$/);
    const rejectedMeta = await sharp(rejectedPng).metadata();
    expect(rejectedMeta.format).toBe("png");
    expect(rejectedMeta.width).toBe(Math.min(rejectedCount, 8) * 66 + 2);
    expect(rejectedMeta.height).toBe(Math.ceil(rejectedCount / 8) * 66 + 2);
  }, 300_000);
});
