import { readdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { ImageFolder, NOTO_COLOR_EMOJI_FONT } from "@gan/data/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../test-support";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-prepare-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("gan prepare", () => {
  it("mnist writes all ten digits, one sub-folder per class, that read back labelled", async () => {
    const out = join(tmp, "mnist");
    const r = await run("prepare", "mnist", "--out", out, "--per-digit", "2", "--size", "16", "--format", "png");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`wrote 20 images (0, 1, 2, 3, 4, 5, 6, 7, 8, 9; 2 each, 16×16) to ${out}, one sub-folder per class`);
    expect((await readdir(out)).sort()).toEqual("0123456789".split(""));
    const ds = await ImageFolder.open(out, { channels: 1, labels: true });
    expect(ds.classes).toEqual("0123456789".split(""));
    expect([...ds.labels!].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    for (let i = 0; i < ds.length; i++) expect(ds.files[i]).toContain(`/${ds.labels![i]}/img_${ds.labels![i]}_`);
  });

  it("keeps the label list and --flat as options; mnist78 stays the reference's flat img_78", async () => {
    const flat = join(tmp, "flat");
    expect((await run("prepare", "mnist", "--out", flat, "--digits", "3,5", "--per-digit", "1", "--size", "16", "--flat")).code).toBe(0);
    expect((await readdir(flat)).sort()).toEqual(["img_3_0.jpg", "img_5_0.jpg"]);
    const picked = join(tmp, "picked");
    expect((await run("prepare", "mnist", "--out", picked, "--digits", "3,5", "--per-digit", "1", "--size", "16")).code).toBe(0);
    expect((await readdir(picked)).sort()).toEqual(["3", "5"]);
    const ref = join(tmp, "img_78");
    expect((await run("prepare", "mnist78", "--out", ref, "--per-digit", "1")).code).toBe(0);
    expect((await readdir(ref)).sort()).toEqual(["img_7_0.jpg", "img_8_0.jpg"]);
  });

  it("emoji writes RGB PNGs, one sub-folder per group, and explains what it cannot do", async () => {
    const out = join(tmp, "emoji");
    const r = await run("prepare", "emoji", "--out", out, "--digits", "0,2", "--per-digit", "2", "--size", "32");
    if (!existsSync(NOTO_COLOR_EMOJI_FONT)) {
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/apt-get install fonts-noto-color-emoji/);
      return;
    }
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^wrote 4 emoji \\(Smileys & Emotion, Animals & Nature; 32×32 RGB PNG\\) to ${out}, one sub-folder per group`));
    const ds = await ImageFolder.open(out, { labels: true });
    expect([ds.length, ds.channels, ds.classes]).toEqual([4, 3, ["0-smileys-emotion", "2-animals-nature"]]);
    expect((await run("prepare", "emoji", "--out", out, "--digits", "9")).err).toMatch(/--digits: emoji groups are 0…8 \(0 Smileys & Emotion, /);
    expect((await run("prepare", "emoji", "--out", out, "--format", "jpg")).err).toMatch(/--format: emoji are written as PNG/);
  });
});
