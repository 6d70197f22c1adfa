import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSafetensors } from "@gan/layers";
import type { EvalRecord } from "@gan/metrics/node";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { latestCheckpoint, listCheckpoints, readMetrics } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LatentGapDcganGenerator } from "@gan/dcgan";
import type { FlexibleSaganGenerator } from "@gan/sagan";
import { generatorOf } from "../models";
import { run } from "../test-support";
import { DIFF_AUGMENT_STATE_FILE, fastRecipe } from "@gan/recipes";

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-train-"));
  data = join(tmp, "img_78");
  const prep = await run("prepare", "mnist78", "--out", data, "--per-digit", "4");
  expect(prep.code).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * A tiny SAGAN on the 8 images, 2 steps per epoch, on the single-threaded wasm backend (deterministic, and
 * about 15× faster than the plain cpu backend's convolution gradients).
 */
const tiny = (out: string) => ["train", "--model", "sagan", "--data", data, "--batch-size", "4", "--width", "4", "--backend", "wasm", "--threads", "1", "--out", out, "--quiet"];

/**
 * `gan sample` (4 images) and `gan export-web` on a trained run, both without errors: the sample command's output,
 * the grid's metadata and the exported manifest's `model`.
 */
async function sampleAndExport(runDir: string, name: string) {
  const grid = join(tmp, `${name}.png`);
  const sample = await run("sample", "--checkpoint", runDir, "--n", "4", "--out", grid);
  expect(sample.err).toBe("");
  const meta = await sharp(grid).metadata();
  expect(meta.format).toBe("png");
  const web = join(tmp, `${name}-web`);
  expect((await run("export-web", "--run", runDir, "--out", web)).err).toBe("");
  return { sample, meta, model: JSON.parse(await readFile(join(web, "manifest.json"), "utf8")).model };
}

/**
 * `--resume` of `runDir` with a model flag that disagrees with the record: refused (exit 2) naming the flag and both
 * values, the record untouched; then a plain resume to `epochs` (2 steps each on the test data) rebuilds the record.
 */
async function resumeRefusingModel(runDir: string, epochs: number, flag: string[], conflict: string) {
  const before = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra.model;
  const refused = await run(...tiny(runDir), "--epochs", String(epochs), "--resume", ...flag);
  expect(refused.code).toBe(2);
  expect(refused.err).toContain(`with the run's record (${join(runDir, "config.json")}):\n  ${conflict}\n`);
  const resumed = await run(...tiny(runDir), "--epochs", String(epochs), "--resume");
  expect(resumed.err).toBe("");
  expect(resumed.out).toMatch(new RegExp(`completed: ${2 * epochs} steps`));
  expect(JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra.model).toEqual(before);
}

/** The `{"type": "eval"}` lines of a run's metrics.jsonl. */
async function evalLines(runDir: string): Promise<EvalRecord[]> {
  const records = (await readMetrics(join(runDir, "metrics.jsonl"))) as unknown as Array<{ type: string }>;
  return records.filter((r): r is EvalRecord => r.type === "eval");
}

/** The learning rate an optimizer file of a checkpoint was saved with (its safetensors metadata). */
async function optimizerLr(checkpoint: string, file: string): Promise<string | undefined> {
  const { metadata, tensors } = decodeSafetensors(await readFile(join(checkpoint, file)));
  tf.dispose(Object.values(tensors));
  return metadata?.lr;
}

describe("gan train: quality flags on the command line", () => {
  it("rejects bad values with exit 2, naming the flag", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--ema", "--ema-decay", "2"], /option '--ema-decay <d>' argument '2' is invalid\. expected a number in \[0, 1\], got '2'/],
      [["--ema", "--ema-start", "-1"], /--ema-start <step>.*expected an integer >= 0, got '-1'/],
      [["--diff-augment", "rotate"], /--diff-augment \[policy\].*unknown transform 'rotate' \(known: color, brightness, saturation, contrast, translation, cutout\)/],
      [["--beta1", "1"], /--beta1 <b>.*expected a number in \[0, 1\), got '1'/],
      [["--beta2", "x"], /--beta2 <b>.*expected a number in \[0, 1\), got 'x'/],
      [["--eval-every", "0"], /--eval-every <epochs>.*expected an integer >= 1, got '0'/],
      [["--eval-every", "1", "--eval-n", "1"], /--eval-n <n>.*expected an integer >= 2, got '1'/],
      [["--ema-decay", "0.9"], /error: --ema-decay needs --ema/],
      [["--eval-n", "8"], /error: --eval-n needs --eval-every/],
      [["--diff-augment", "--diff-augment-translation", "0"], /--diff-augment-translation <ratio>.*expected a number in \(0, 0\.5\], got '0'/],
      [["--diff-augment-translation", "0.1"], /error: --diff-augment-translation needs --diff-augment with translation in its policy/],
      [["--lecam", "0"], /--lecam <weight>.*expected a number > 0, got '0'/],
    ];
    for (const [flags, message] of cases) {
      const r = await run("train", "--data", tmp, ...flags);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
    }
  });

  it("refuses to evaluate colour runs before training, as a command-line error", async () => {
    const r = await run(...tiny(join(tmp, "colour")), "--channels", "3", "--eval-every", "1");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --eval-every: the evaluation scores grayscale images; it needs --channels 1\n/);
  });

  it("--ema --diff-augment --eval-every: EMA in every checkpoint, eval lines with EMA scores, fid.png; --resume keeps the setup", async () => {
    const runDir = join(tmp, "quality");
    const quality = ["--ema", "--ema-decay", "0.9", "--diff-augment", "--eval-every", "1", "--eval-n", "8", "--beta1", "0.5", "--g-lr", "2e-4"];
    const first = await run(...tiny(runDir), "--epochs", "1", ...quality);
    expect(first.err).not.toMatch(/error/);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /training: recipe sagan, EMA decay 0\.9 from step 0, DiffAugment color,translation,cutout, eval every 1 epoch\(s\) \(n=8\), Adam beta1 0\.5, beta2 0\.9, loss hinge, g-lr 0\.0002, d-lr 0\.0004, d-steps 1/,
    );

    // The loss, learning rates and D steps are recorded resolved (defaults filled in), as the trainer used them.
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.training).toEqual({
      beta1: 0.5,
      beta2: 0.9,
      loss: "hinge",
      gLr: 2e-4,
      dLr: 4e-4,
      dSteps: 1,
      ema: { decay: 0.9, startStep: 0 },
      diffAugment: "color,translation,cutout",
      eval: { everyEpochs: 1, n: 8 },
    });
    expect(config.trainer).toMatchObject({ beta1: 0.5, beta2: 0.9, loss: "hinge", gLr: 2e-4, dLr: 4e-4, dSteps: 1 });

    const checkpoint = (await latestCheckpoint(runDir))!;
    const ema = decodeSafetensors(await readFile(join(checkpoint, EMA_GENERATOR_FILE)));
    expect(ema.metadata).toMatchObject({ kind: "gan-toolkit/generator-ema", decay: "0.9", step: "2" });
    tf.dispose(Object.values(ema.tensors));
    expect(JSON.parse(await readFile(join(checkpoint, DIFF_AUGMENT_STATE_FILE), "utf8"))).toMatchObject({ policy: "color,translation,cutout" });

    const evals = await evalLines(runDir);
    expect(evals).toHaveLength(1);
    expect(evals[0]).toMatchObject({ epoch: 0, step: 2, n: 8 });
    expect(Number.isFinite(evals[0].fid)).toBe(true);
    expect(Number.isFinite(evals[0].ema?.fid)).toBe(true);
    expect((await sharp(join(runDir, "fid.png")).metadata()).format).toBe("png");
    expect(await readdir(join(runDir, "samples-ema"))).toEqual(["epoch-0000.png"]);

    // A disagreeing flag is refused; the recorded EMA, DiffAugment and eval go on, and --d-lr is an override.
    const refused = await run(...tiny(runDir), "--epochs", "3", "--resume", "--ema", "--ema-decay", "0.5");
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("  --ema: recorded decay 0.9 from step 0, given decay 0.5 from step 0\n");
    // A checkpoint every epoch (the default groups these 2-step epochs until they span 50 steps: only the last).
    const resumed = await run(...tiny(runDir), "--epochs", "3", "--resume", "--ema", "--d-lr", "3e-4", "--checkpoint-every", "1");
    expect(resumed.code).toBe(0);
    expect(resumed.err).toBe("");
    expect(resumed.out).toContain(`resume: --d-lr 0.0003 instead of the recorded 0.0004 (logged in ${join(runDir, "config.json")}'s history)`);
    expect(resumed.out).toMatch(/completed: 6 steps/);
    expect(resumed.out).toMatch(/training: recipe sagan, EMA decay 0\.9 from step 0, DiffAugment color,translation,cutout, .*, g-lr 0\.0002, d-lr 0\.0003, d-steps 1/);
    const kept = await listCheckpoints(runDir);
    expect(kept.length).toBe(3);
    for (const dir of kept) {
      const file = decodeSafetensors(await readFile(join(dir, EMA_GENERATOR_FILE)));
      expect(file.metadata).toMatchObject({ decay: "0.9", step: String(Number(dir.slice(-7))) });
      tf.dispose(Object.values(file.tensors));
      expect(await optimizerLr(dir, CHECKPOINT_FILES.gOptimizer)).toBe("0.0002");
      expect(await optimizerLr(dir, CHECKPOINT_FILES.dOptimizer)).toBe(dir.endsWith("step-0000002") ? "0.0004" : "0.0003");
    }
    const afterResume = await evalLines(runDir);
    expect(afterResume.map((r) => [r.step, r.ema !== undefined])).toEqual([
      [2, true],
      [4, true],
      [6, true],
    ]);
    const resumedConfig = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(resumedConfig.extra.training).toEqual({ ...config.extra.training, dLr: 3e-4 });
    expect(resumedConfig.history).toEqual([{ time: expect.any(String), step: 2, checkpoint: "step-0000002", overrides: { epochs: { from: 1, to: 3 }, dLr: { from: 4e-4, to: 3e-4 } } }]);

    // The EMA generator draws grids and is scored by gan eval.
    const grid = join(tmp, "ema-grid.png");
    const sample = await run("sample", "--checkpoint", runDir, "--ema", "--n", "4", "--out", grid);
    expect(sample.err).not.toMatch(/error/);
    expect(sample.out).toMatch(/wrote 4 samples of quality \(EMA generator\)/);
    expect((await sharp(grid).metadata()).format).toBe("png");
    const scored = await run("eval", "--run", runDir, "--ema", "--n", "8");
    expect(scored.code).toBe(0);
    expect(scored.out).toMatch(/\(EMA\): n=8 FID [\d.]+/);
  }, 300_000);

  it("a run stopped after epoch 1 and resumed ends bit-identical to an unbroken one, EMA, DiffAugment, loss and learning rates included", async () => {
    const hyper = ["--loss", "bce", "--g-lr", "2e-4", "--d-lr", "3e-4", "--d-steps", "2"];
    const flags = ["--ema", "--ema-decay", "0.8", "--diff-augment", "translation,cutout", "--diff-augment-translation", "0.0625", "--lecam", "0.5", "--seed", "3", ...hyper];
    const unbroken = join(tmp, "unbroken");
    expect((await run(...tiny(unbroken), "--epochs", "2", ...flags)).code).toBe(0);
    const a = (await latestCheckpoint(unbroken))!;
    const same = async (runDir: string) => {
      const b = (await latestCheckpoint(runDir))!;
      expect(b.slice(-7)).toBe(a.slice(-7));
      for (const file of ["generator.safetensors", "discriminator.safetensors", EMA_GENERATOR_FILE, DIFF_AUGMENT_STATE_FILE, CHECKPOINT_FILES.gOptimizer]) {
        expect(Buffer.compare(await readFile(join(a, file)), await readFile(join(b, file))), `${runDir}: ${file}`).toBe(0);
      }
    };
    // Resumed with a plain --resume: everything comes from config.json.
    const broken = join(tmp, "broken");
    expect((await run(...tiny(broken), "--epochs", "1", ...flags)).code).toBe(0);
    const resumed = await run(...tiny(broken), "--epochs", "2", "--resume");
    expect(resumed.err).toBe("");
    expect(resumed.out).toMatch(/loss bce, g-lr 0\.0002, d-lr 0\.0003, d-steps 2/);
    expect(resumed.out).toMatch(/DiffAugment translation,cutout \(translation 0\.0625\), LeCam 0\.5/);
    expect(JSON.parse(await readFile(join(broken, "config.json"), "utf8")).extra.training.lecam).toBe(0.5);
    // LeCam's moving averages travel in state.json: the resumed run's last checkpoint holds the unbroken run's.
    const lecamState = async (runDir: string) => JSON.parse(await readFile(join((await latestCheckpoint(runDir))!, "state.json"), "utf8")).loss;
    expect(await lecamState(broken)).toEqual(await lecamState(unbroken));
    expect((await lecamState(unbroken)).updates).toBeGreaterThan(0);
    await same(broken);

    // A run folder from before the loss, learning rates and D steps were recorded resumes with the flags given.
    const legacy = join(tmp, "legacy");
    expect((await run(...tiny(legacy), "--epochs", "1", ...flags)).code).toBe(0);
    const configFile = join(legacy, "config.json");
    const config = JSON.parse(await readFile(configFile, "utf8"));
    for (const key of ["loss", "gLr", "dLr", "dSteps"]) delete config.extra.training[key];
    await writeFile(configFile, JSON.stringify(config));
    const legacyResumed = await run(...tiny(legacy), "--epochs", "2", "--resume", ...hyper);
    expect(legacyResumed.err).toBe("");
    expect(legacyResumed.code).toBe(0);
    await same(legacy);
  }, 300_000);

  it("gan sample --ema explains what is missing", async () => {
    const plain = join(tmp, "plain");
    expect((await run(...tiny(plain), "--epochs", "1")).code).toBe(0);
    // The default generator (spectral norm) is not recorded, so configs of such runs stay as they were.
    expect(JSON.parse(await readFile(join(plain, "config.json"), "utf8")).extra.model).not.toHaveProperty("generatorSpectralNorm");
    const noEma = await run("sample", "--checkpoint", plain, "--ema", "--out", join(tmp, "x.png"));
    expect(noEma.code).toBe(1);
    expect(noEma.err).toMatch(/--ema: checkpoint .*step-0000002 has no generator-ema\.safetensors \(train with --ema to keep one\)/);
    const file = join((await latestCheckpoint(plain))!, "generator.safetensors");
    const onFile = await run("sample", "--checkpoint", file, "--ema", "--out", join(tmp, "x.png"));
    expect(onFile.err).toMatch(/--ema: --checkpoint .* is a weights file; pass a run or checkpoint folder/);
  }, 300_000);

  it("--no-g-spectral-norm: recorded in config.json, the generator's weights are plain, --resume, sample and export-web rebuild it", async () => {
    const runDir = join(tmp, "no-g-sn");
    const first = await run(...tiny(runDir), "--epochs", "1", "--no-g-spectral-norm");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model).toEqual({ model: "sagan", zDim: 20, width: 4, channels: 1, seed: 0, generatorSpectralNorm: false });

    const names = async (checkpoint: string, file: string) => {
      const { tensors } = decodeSafetensors(await readFile(join(checkpoint, file)));
      tf.dispose(Object.values(tensors));
      return Object.keys(tensors);
    };
    const checkpoint = (await latestCheckpoint(runDir))!;
    const g = await names(checkpoint, CHECKPOINT_FILES.generator);
    expect(g).toContain("layer1.0.weight");
    expect(g.filter((k) => /\.weight_(orig|u|v)$/.test(k))).toEqual([]);
    expect(await names(checkpoint, CHECKPOINT_FILES.discriminator)).toContain("layer1.0.weight_orig");

    // A plain --resume rebuilds the recorded generator; a flag given on resume cannot change the model.
    const resumed = await run(...tiny(runDir), "--epochs", "2", "--resume");
    expect(resumed.err).toBe("");
    expect(resumed.out).toMatch(/completed: 4 steps/);
    expect(JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra.model).toEqual(config.extra.model);
    const withSn = join(tmp, "with-g-sn");
    expect((await run(...tiny(withSn), "--epochs", "1")).code).toBe(0);
    const flagOnResume = await run(...tiny(withSn), "--epochs", "2", "--resume", "--no-g-spectral-norm");
    expect(flagOnResume.code).toBe(2);
    expect(flagOnResume.err).toContain("  --no-g-spectral-norm: recorded with spectral norm, given without spectral norm\n");
    expect(JSON.parse(await readFile(join(withSn, "config.json"), "utf8")).extra.model).not.toHaveProperty("generatorSpectralNorm");
    const layoutOnResume = await run(...tiny(withSn), "--epochs", "3", "--resume", "--attention-after", "3", "--d-attention-after", "none");
    expect(layoutOnResume.code).toBe(2);
    expect(layoutOnResume.err).toContain("  --attention-after: recorded 3,4, given 3\n  --d-attention-after: recorded 3,4, given none\n");
    // Given with the recorded values, the flags are accepted without a word.
    const agreeing = await run(...tiny(withSn), "--epochs", "2", "--resume", "--attention-after", "3,4", "--seed", "0");
    expect(agreeing.err).toBe("");
    expect(agreeing.out).toMatch(/completed: 4 steps/);

    const { sample, model } = await sampleAndExport(runDir, "no-g-sn");
    expect(sample.out).toMatch(/wrote 4 samples of no-g-sn/);
    expect(model).toEqual({
      model: "sagan",
      zDim: 20,
      width: 4,
      channels: 1,
      generatorSpectralNorm: false,
    });
  }, 300_000);

  it("--working-size 32: recorded in config.json, nets one block shorter, 64×64 images; --resume, sample and export-web rebuild it", async () => {
    const runDir = join(tmp, "working-32");
    const first = await run(...tiny(runDir), "--epochs", "1", "--working-size", "32", "--attention-after", "3");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model).toEqual({ model: "sagan", zDim: 20, width: 4, channels: 1, seed: 0, attentionAfter: [3], workingSize: 32 });
    const checkpoint = (await latestCheckpoint(runDir))!;
    const shapes = async (file: string) => {
      const { tensors } = decodeSafetensors(await readFile(join(checkpoint, file)));
      const out = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));
      tf.dispose(Object.values(tensors));
      return out;
    };
    const g = await shapes(CHECKPOINT_FILES.generator);
    expect(Object.keys(g).some((k) => k.startsWith("layer4"))).toBe(false);
    expect(g["last.0.weight"]).toEqual([8, 1, 4, 4]);
    const d = await shapes(CHECKPOINT_FILES.discriminator);
    expect(Object.keys(d).some((k) => k.startsWith("layer1"))).toBe(false);
    expect(d["layer2.0.weight_orig"]).toEqual([8, 1, 4, 4]);

    await resumeRefusingModel(runDir, 2, ["--working-size", "64"], "--working-size: recorded 32, given 64");

    const { meta, model } = await sampleAndExport(runDir, "working-32");
    expect(meta.height).toBeGreaterThanOrEqual(64);
    expect(model).toEqual({ model: "sagan", zDim: 20, width: 4, channels: 1, workingSize: 32 });

    const bad = await run(...tiny(join(tmp, "working-48")), "--working-size", "48");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--working-size <side>.*argument '48' is invalid/);
    const noLayer4 = await run(...tiny(join(tmp, "working-attn4")), "--working-size", "32");
    expect(noLayer4.code).toBe(1);
    expect(noLayer4.err).toMatch(/SaganGenerator: option 'attentionAfter' cannot include 4 with workingSize 32/);
    const dcgan = await run("train", "--model", "dcgan", "--data", data, "--working-size", "32", "--backend", "cpu", "--quiet", "--out", join(tmp, "dcgan-32"));
    expect(dcgan.code).toBe(1);
    expect(dcgan.err).toMatch(/--working-size: applies to sagan only, not to dcgan/);
  }, 300_000);

  it("--minibatch-std: recorded (groups of 4 without a value), rebuilt on --resume, a disagreeing value refused; SAGAN only", async () => {
    const runDir = join(tmp, "minibatch-std");
    const first = await run(...tiny(runDir), "--minibatch-std", "--epochs", "1", "--working-size", "32", "--attention-after", "3");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model.discriminatorMinibatchStd).toBe(4);
    await resumeRefusingModel(runDir, 2, ["--minibatch-std", "2"], "--minibatch-std: recorded 4, given 2");
    const bad = await run(...tiny(join(tmp, "minibatch-std-1")), "--minibatch-std", "1");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--minibatch-std \[group\].*argument '1' is invalid/);
    const dcgan = await run("train", "--model", "dcgan", "--data", data, "--minibatch-std", "--backend", "cpu", "--quiet", "--out", join(tmp, "dcgan-mbstd"));
    expect(dcgan.code).toBe(1);
    expect(dcgan.err).toMatch(/--minibatch-std: applies to sagan only, not to dcgan/);
  }, 300_000);

  it("--pack: recorded, rebuilt on --resume, a disagreeing value refused; unconditional SAGAN only", async () => {
    const runDir = join(tmp, "pack");
    const first = await run(...tiny(runDir), "--pack", "2", "--epochs", "1", "--working-size", "32", "--attention-after", "3");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model.discriminatorPack).toBe(2);
    await resumeRefusingModel(runDir, 2, ["--pack", "3"], "--pack: recorded 2, given 3");
    const bad = await run(...tiny(join(tmp, "pack-1")), "--pack", "1");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--pack <n>.*argument '1' is invalid/);
    const dcgan = await run("train", "--model", "dcgan", "--data", data, "--pack", "2", "--backend", "cpu", "--quiet", "--out", join(tmp, "dcgan-pack"));
    expect(dcgan.code).toBe(1);
    expect(dcgan.err).toMatch(/--pack: applies to sagan only, not to dcgan/);
  }, 300_000);

  it("--latent-gap: recorded with its defaults, kept on --resume, rebuilt by sample and export-web, for SAGAN and DCGAN; bad values named", async () => {
    const runDir = join(tmp, "latent-gap");
    const first = await run("train", "--latent-gap", ...tiny(runDir).slice(1), "--epochs", "1", "--working-size", "32", "--attention-after", "3");
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(config.extra.model.latentGap).toEqual({ dims: 1, gap: 2, scale: 0.5 });
    const G = await generatorOf(runDir);
    expect((G as FlexibleSaganGenerator).latentGap?.dims).toBe(1);
    G.dispose();

    await resumeRefusingModel(runDir, 2, ["--latent-gap", "3"], '--latent-gap: recorded {"dims":1,"gap":2,"scale":0.5}, given {"dims":3,"gap":2,"scale":0.5}');

    const { model } = await sampleAndExport(runDir, "latent-gap");
    expect(model).toEqual({
      model: "sagan",
      zDim: 20,
      width: 4,
      channels: 1,
      workingSize: 32,
      latentGap: { dims: 1, gap: 2, scale: 0.5 },
    });

    const two = join(tmp, "latent-gap-2");
    expect((await run(...tiny(two), "--epochs", "1", "--latent-gap", "2")).code).toBe(0);
    expect(JSON.parse(await readFile(join(two, "config.json"), "utf8")).extra.model.latentGap).toEqual({ dims: 2, gap: 2, scale: 0.5 });
    const zero = await run(...tiny(join(tmp, "latent-gap-0")), "--latent-gap", "0");
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/--latent-gap \[dims\].*argument '0' is invalid/);
    const wide = await run(...tiny(join(tmp, "latent-gap-21")), "--latent-gap", "21");
    expect(wide.code).toBe(1);
    expect(wide.err).toMatch(/SaganGenerator: option 'latentGap' splits 21 coordinates but zDim is 20/);
    const dcganDir = join(tmp, "dcgan-gap");
    const dcgan = await run("train", "--model", "dcgan", "--data", data, "--latent-gap", "--epochs", "1", "--batch-size", "4", "--width", "4", "--backend", "wasm", "--threads", "1", "--quiet", "--out", dcganDir);
    expect(dcgan.err).toBe("");
    expect(dcgan.code).toBe(0);
    expect(JSON.parse(await readFile(join(dcganDir, "config.json"), "utf8")).extra.model.latentGap).toEqual({ dims: 1, gap: 2, scale: 0.5 });
    const dcganG = await generatorOf(dcganDir);
    expect((dcganG as LatentGapDcganGenerator).latentGap.gap).toBe(2);
    dcganG.dispose();
  }, 300_000);

  it("--recipe: the named recipe of @gan/recipes with the flags laid over it, recorded in config.json", async () => {
    const runDir = join(tmp, "recipe-fast");
    const r = await run("train", "--recipe", "fast", "--data", data, "--width", "4", "--batch-size", "4", "--epochs", "1", "--no-eval", "--g-lr", "5e-4", "--backend", "wasm", "--threads", "1", "--out", runDir, "--quiet");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/training: recipe fast, EMA decay 0\.99 from step 0, DiffAugment color,translation \(translation 0\.0625\), Adam beta1 0, beta2 0\.99, loss hinge, g-lr 0\.0005, d-lr 0\.0012, d-steps 2/);
    const extra = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra;
    expect(extra.recipe).toBe("fast");
    expect(extra.model).toEqual({ ...fastRecipe.model, width: 4, seed: 0 });
    const { eval: _evaluation, ...training } = fastRecipe.training;
    expect(extra.training).toEqual({ ...training, gLr: 5e-4 });
    // 8 images in batches of 4 and 2 D steps per G step: one step.
    expect(r.out).toMatch(/completed: 1 steps/);

    const off = await run("train", "--recipe", "fast", "--data", data, "--width", "4", "--batch-size", "4", "--epochs", "1", "--no-eval", "--no-ema", "--no-diff-augment", "--backend", "wasm", "--threads", "1", "--out", join(tmp, "recipe-off"), "--quiet");
    expect(off.code, off.err).toBe(0);
    const offTraining = JSON.parse(await readFile(join(tmp, "recipe-off", "config.json"), "utf8")).extra.training;
    expect(offTraining.ema).toBeUndefined();
    expect(offTraining.diffAugment).toBeUndefined();

    const unknown = await run("train", "--recipe", "fastest", "--data", data);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--recipe <name>.*fast, fastConditional, fastUnlabelled, sagan, dcgan/);
  });

  it("without --sample-every and --checkpoint-every, short epochs are grouped until they span 50 steps; the flags give the cadence in epochs", async () => {
    // 8 images in batches of 4: 2 steps an epoch, so the default draws and checkpoints every 25 epochs, and always
    // after the last one.
    const epochFiles = async (dir: string) => (await readdir(join(dir, "samples"))).filter((f) => f.startsWith("epoch-"));
    const steps = async (dir: string) => (await listCheckpoints(dir)).map((c) => c.slice(-4));
    const byDefault = join(tmp, "cadence-default");
    const plain = ["train", "--model", "dcgan", "--data", data, "--batch-size", "4", "--width", "4", "--backend", "wasm", "--threads", "1", "--quiet", "--epochs", "3"];
    const r = await run(...plain, "--out", byDefault);
    expect(r.code).toBe(0);
    expect(r.out).toContain("pictures every 25 epochs (50 steps), checkpoints every 25 epochs (50 steps), and both after the last step\n");
    expect(await epochFiles(byDefault)).toEqual(["epoch-0002.png"]);
    expect(await steps(byDefault)).toEqual(["0006"]);
    const everyTwo = join(tmp, "cadence-2");
    const r2 = await run(...plain, "--out", everyTwo, "--sample-every", "2");
    expect(r2.code).toBe(0);
    expect(r2.out).toContain("pictures every 2 epochs (4 steps), checkpoints every 2 epochs (4 steps), and both after the last step\n");
    expect(await epochFiles(everyTwo)).toEqual(["epoch-0001.png", "epoch-0002.png"]);
    expect(await steps(everyTwo)).toEqual(["0004", "0006"]);
    const help = await run("train", "--help");
    expect(help.out.replace(/\s+/g, " ")).toContain("--sample-every <n> epochs between sample grids, attention maps and the loss plot (default: every epoch, or the fewest epochs that span 50 steps when epochs are shorter)");
  }, 300_000);

  it("--no-g-spectral-norm is for SAGAN only", async () => {
    const r = await run("train", "--model", "dcgan", "--data", data, "--no-g-spectral-norm", "--backend", "cpu", "--quiet", "--out", join(tmp, "dcgan-no-sn"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/gan: error: --no-g-spectral-norm: applies to sagan only, not to dcgan\n$/);
  });
});

describe("gan train --resume: the record defines the run", () => {
  it("gan train --help states the resume rules", async () => {
    const help = await run("train", "--help");
    expect(help.code).toBe(0);
    const text = help.out.replace(/\s+/g, " ");
    expect(text).toContain("--resume continue the run in --out from its latest checkpoint, with everything config.json records");
    expect(text).toContain("--from <checkpoint> with --resume: continue from this checkpoint");
    expect(text).toContain("Resume (--resume --out <run>):");
    expect(text).toContain(`Overrides, applied and logged in config.json's "history"`);
    expect(text).toContain("Run options, free to change: --data");
  });

  /** A tiny DCGAN (2 steps per epoch on the test data). */
  const dcgan = (out: string) => ["train", "--model", "dcgan", "--data", data, "--batch-size", "4", "--width", "4", "--backend", "wasm", "--threads", "1", "--out", out, "--quiet"];
  const config = async (runDir: string) => JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));

  it("batch size, model, seed and epochs come from config.json; a disagreeing flag is refused (exit 2) with both values; --epochs and --g-lr are logged overrides", async () => {
    const runDir = join(tmp, "record");
    expect((await run(...dcgan(runDir), "--epochs", "1", "--seed", "5")).code).toBe(0);
    const before = await config(runDir);
    const bare = ["train", "--resume", "--out", runDir, "--data", data, "--backend", "wasm", "--threads", "1", "--quiet"];

    // Left out: the record's batch size (not the recipe's 64), model and seed (not the --seed default 0).
    const further = await run(...bare, "--epochs", "2");
    expect(further.err).toBe("");
    expect(further.out).toMatch(/batches of up to 4/);
    expect(further.out).toContain(`resume: --epochs 2 instead of the recorded 1 (logged in ${join(runDir, "config.json")}'s history)`);
    expect(further.out).toMatch(/completed: 4 steps/);
    // No --epochs: the record's, now 2.
    expect((await run(...bare)).out).toMatch(/completed: 4 steps/);

    const refused = await run(...bare, "--model", "sagan", "--width", "16", "--seed", "9", "--batch-size", "64", "--loss", "hinge", "--recipe", "fast");
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(
      [
        `error: --resume: flags disagree with the run's record (${join(runDir, "config.json")}):`,
        "  --recipe: recorded dcgan, given fast",
        "  --model: recorded dcgan, given sagan",
        "  --width: recorded 4, given 16",
        "  --seed: recorded 5, given 9",
        "  --batch-size: recorded 4, given 64",
        "  --loss: recorded bce, given hinge",
        "a resumed run keeps what defines it: leave these flags out (only --epochs, --g-lr, --d-lr and the run options may change; see 'gan train --help')",
      ].join("\n"),
    );

    const lower = await run(...bare, "--epochs", "3", "--g-lr", "5e-5", "--sample-every", "2", "--keep", "2");
    expect(lower.code, lower.err).toBe(0);
    expect(lower.out).toContain("resume: --g-lr 0.00005 instead of the recorded 0.0001");
    expect(lower.out).toMatch(/g-lr 0\.00005, d-lr 0\.0004/);
    expect(lower.out).toMatch(/completed: 6 steps/);
    expect(await optimizerLr((await latestCheckpoint(runDir))!, CHECKPOINT_FILES.gOptimizer)).toBe("0.00005");
    const after = await config(runDir);
    expect(after.extra.model).toEqual({ ...before.extra.model, seed: 5 });
    expect(after.extra.training.gLr).toBe(5e-5);
    expect(after.trainer).toMatchObject({ epochs: 3, gLr: 5e-5, seed: 5 });
    expect(after.history.map((h: { step: number; overrides: unknown }) => [h.step, h.overrides])).toEqual([
      [2, { epochs: { from: 1, to: 2 } }],
      [4, {}],
      [4, { epochs: { from: 2, to: 3 }, gLr: { from: 1e-4, to: 5e-5 } }],
    ]);
    // The lowered rate is now the record's: a plain resume keeps it.
    const plain = await run(...bare, "--epochs", "4");
    expect(plain.out).toMatch(/g-lr 0\.00005/);
    expect(plain.out).not.toContain("--g-lr");
  }, 300_000);

  it("a missing or empty folder, or one without a checkpoint or config.json, is an error naming the folder (exit 1), never a fresh run", async () => {
    const resume = (out: string) => run("train", "--resume", "--out", out, "--data", data, "--backend", "cpu", "--quiet");
    const missing = join(tmp, "resume-missing");
    const r1 = await resume(missing);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe(`gan: error: --resume: ${missing} does not exist: there is no run to resume (leave out --resume to start one)\n`);
    expect(existsSync(missing)).toBe(false);
    const empty = join(tmp, "resume-empty");
    await mkdir(empty);
    const r2 = await resume(empty);
    expect(r2.code).toBe(1);
    expect(r2.err).toBe(`gan: error: --resume: ${empty} holds no run (no config.json, no checkpoint); leave out --resume to start one\n`);
    expect(await readdir(empty)).toEqual([]);
    const configOnly = join(tmp, "resume-config-only");
    await mkdir(configOnly);
    await writeFile(join(configOnly, "config.json"), "{}");
    const r3 = await resume(configOnly);
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/--resume: .*resume-config-only has config\.json but no checkpoint in .*checkpoints \(the run stopped before its first one\)/);
    expect(await readdir(configOnly)).toEqual(["config.json"]);
    const noConfig = join(tmp, "resume-no-config");
    expect((await run(...dcgan(noConfig), "--epochs", "1")).code).toBe(0);
    await rm(join(noConfig, "config.json"));
    const r4 = await resume(noConfig);
    expect(r4.code).toBe(1);
    expect(r4.err).toMatch(/--resume: .*resume-no-config has checkpoints but no config\.json/);
  }, 300_000);

  it("a corrupt latest checkpoint is named with why, and the command that resumes from the previous good one (--from)", async () => {
    const runDir = join(tmp, "corrupt");
    expect((await run(...dcgan(runDir), "--epochs", "2", "--keep", "3", "--checkpoint-every", "1")).code).toBe(0);
    const latest = join(runDir, "checkpoints", "step-0000004");
    await writeFile(join(latest, "state.json"), "{ half a state");
    const bare = ["train", "--resume", "--out", runDir, "--data", data, "--backend", "wasm", "--threads", "1", "--quiet"];
    const failed = await run(...bare, "--epochs", "3");
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(new RegExp(`^gan: error: --resume: checkpoint ${latest} cannot be resumed: .*state\\.json: not valid JSON`));
    const command = `gan train --resume --out ${runDir} --data ${data} --from step-0000002 --epochs 3`;
    expect(failed.err).toContain(`the previous good checkpoint is step-0000002; resume from it (the later steps are trained again) with:\n  ${command}\n`);
    expect((await config(runDir)).history).toBeUndefined();

    const again = await run(...command.split(" ").slice(1), "--backend", "wasm", "--threads", "1", "--quiet");
    expect(again.err).toBe("");
    expect(again.out).toMatch(/completed: 6 steps/);
    expect((await config(runDir)).history[0]).toMatchObject({ step: 2, checkpoint: "step-0000002" });

    const noResume = await run(...dcgan(join(tmp, "from-alone")), "--from", "step-0000002");
    expect(noResume.code).toBe(2);
    expect(noResume.err).toMatch(/^error: --from needs --resume/);
  }, 300_000);
});
