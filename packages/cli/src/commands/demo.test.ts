import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMA_GENERATOR_FILE } from "@gan/trainer";
import { latestCheckpoint, readRunConfig } from "@gan/trainer/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../test-support";
import { buildModels, fastRecipe } from "@gan/recipes";
import { WEB_MANIFEST, type WebManifest } from "./export-web";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-demo-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("gan demo", () => {
  it("prepares the 400 digits, trains with the fast recipe within its budget, and the run samples again", async () => {
    const data = join(tmp, "img_78");
    const out = join(tmp, "demo");
    const r = await run("demo", "--data", data, "--out", out, "--minutes", "0.1", "--width", "4", "--batch-size", "8", "--eval-every", "0", "--backend", "wasm", "--threads", "1");
    expect(r.code, r.err).toBe(0);
    expect((await readdir(data)).filter((f) => f.endsWith(".jpg"))).toHaveLength(400);
    expect(r.out).toMatch(/--max-minutes 0\.1 reached/);
    expect(r.out).toMatch(/stopped at --max-minutes 0\.1: \d+ steps/);
    expect(r.out).toMatch(/demo finished in .* min: open .*samples-ema/);
    // --eval-every 0: no scores, so no fid.png to point at.
    expect(r.out).not.toMatch(/fid\.png/);

    const extra = (await readRunConfig(out)).extra as { model: Record<string, unknown>; training: Record<string, unknown> };
    expect(extra.model).toMatchObject({ model: "sagan", width: 4, workingSize: 32, latentGap: { dims: 1, gap: 2, scale: 0.5 }, attentionAfter: [3], discriminatorAttentionAfter: [], generatorSpectralNorm: false });
    // The fast recipe of @gan/recipes, less the evaluation (--eval-every 0).
    const { eval: _evaluation, ...training } = fastRecipe.training;
    expect(extra.training).toEqual(training);
    expect((await readRunConfig(out)).extra?.recipe).toBe("fast");
    // Stopped by its time budget mid-epoch, the run still leaves sample grids of G and of its EMA.
    expect((await readdir(join(out, "samples"))).length).toBeGreaterThanOrEqual(1);
    expect((await readdir(join(out, "samples-ema"))).length).toBeGreaterThanOrEqual(1);
    const checkpoint = await latestCheckpoint(out);
    expect(checkpoint).toBeDefined();
    expect(existsSync(join(checkpoint!, EMA_GENERATOR_FILE))).toBe(true);

    // The recorded attention layout rebuilds the generator for sampling (one attention block, after layer 3).
    const grid = join(tmp, "grid.png");
    const s = await run("sample", "--checkpoint", out, "--n", "4", "--out", grid, "--ema", "--backend", "wasm", "--threads", "1");
    expect(s.code, s.err).toBe(0);
    expect(existsSync(grid)).toBe(true);

    // The web manifest lists the one attention block, so the page rebuilds the same generator.
    const web = join(tmp, "web");
    const w = await run("export-web", "--run", out, "--out", web, "--ema");
    expect(w.code, w.err).toBe(0);
    const manifest = JSON.parse(await readFile(join(web, WEB_MANIFEST), "utf8")) as WebManifest;
    expect(manifest.attention).toEqual([{ name: "self_attntion1", after: 3, side: 16 }]);
  }, 120_000);

  it("--attention-after is for SAGAN only and takes layers 1-4", async () => {
    const data = join(tmp, "img_78"); // prepared by the test above
    const dc = await run("train", "--model", "dcgan", "--data", data, "--attention-after", "3", "--backend", "cpu", "--quiet");
    expect(dc.code).toBe(1);
    expect(dc.err).toMatch(/--attention-after: applies to sagan only, not to dcgan/);
    const range = await run("train", "--data", data, "--attention-after", "3,5", "--backend", "cpu", "--quiet");
    expect(range.code).toBe(1);
    expect(range.err).toMatch(/--attention-after: expected distinct layers among 1, 2, 3, 4, got 3,5/);
    const d = await run("train", "--data", data, "--d-attention-after", "0", "--backend", "cpu", "--quiet");
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/--d-attention-after: expected distinct layers among 1, 2, 3, 4, got 0/);
    const bad = await run("train", "--data", tmp, "--attention-after", "3,x");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--attention-after <layers>.*expected comma-separated integers/);
  });

  it("builds the generator's and the discriminator's attention layouts separately", () => {
    const attentionBlocks = (m: { stateDict(): Record<string, unknown> }) =>
      [...new Set(Object.keys(m.stateDict()).filter((k) => k.startsWith("self_attntion")).map((k) => k.split(".")[0]))];
    const base = { model: "sagan" as const, zDim: 20, width: 8, channels: 1 as const, seed: 0 };
    const reference = buildModels(base);
    const demo = buildModels({ ...base, attentionAfter: [3], discriminatorAttentionAfter: [] });
    try {
      expect(attentionBlocks(reference.generator)).toEqual(["self_attntion1", "self_attntion2"]);
      expect(attentionBlocks(reference.discriminator)).toEqual(["self_attntion1", "self_attntion2"]);
      expect(attentionBlocks(demo.generator)).toEqual(["self_attntion1"]);
      expect(attentionBlocks(demo.discriminator)).toEqual([]);
    } finally {
      for (const m of [reference.generator, reference.discriminator, demo.generator, demo.discriminator]) m.dispose();
    }
  });
});
