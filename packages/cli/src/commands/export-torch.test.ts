import "@tensorflow/tfjs-backend-cpu";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random, decodeSafetensors, encodeSafetensors } from "@gan/layers";
import { loadWeights } from "@gan/layers/node";
import { buildModels } from "@gan/recipes";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import { type TorchStateDict, readTorchStateDict } from "@gan/torch";
import { EMA_GENERATOR_FILE } from "@gan/trainer";
import { latestCheckpoint } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatorOf } from "../models";
import { run } from "../test-support";
import { checkWithPyTorch, requirePyTorch, torchFixture } from "../torch-test-support";

let tmp: string;
beforeAll(async () => {
  requirePyTorch();
  await tf.setBackend("cpu");
  tmp = await mkdtemp(join(tmpdir(), "gan-export-torch-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Each tensor's name, dtype, shape and a hash of its bytes. */
function layout(state: TorchStateDict): string[] {
  return Object.entries(state).map(([name, t]) => {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return `${name} ${t.dtype} [${t.shape}] ${createHash("sha256").update(bytes).digest("hex")}`;
  });
}

/**
 * What the run's nets compute, rebuilt from config.json and the checkpoint's safetensors files (not from the .pth):
 * z → images and x → logits in eval mode, saved for check_torch_export.py --outputs.
 */
async function ourOutputs(runDir: string, generatorFile: string, name: string): Promise<string> {
  const checkpoint = (await latestCheckpoint(runDir))!;
  const G: GanGenerator = await generatorOf(runDir);
  await loadWeights(G as never, join(checkpoint, generatorFile));
  const spec = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra.model;
  const { generator: unused, discriminator: D } = buildModels(spec) as { generator: GanGenerator; discriminator: GanDiscriminator };
  unused.dispose();
  await loadWeights(D as never, join(checkpoint, "discriminator.safetensors"));
  const random = new Random(5);
  const z = random.normal([3, spec.zDim]);
  const x = random.uniform([3, 64, 64, 1], -1, 1);
  const images = tf.tidy(() => G.eval().forward(z as tf.Tensor2D, { attentionMaps: false }).images);
  const logits = tf.tidy(() => D.eval().forward(x as tf.Tensor4D, { attentionMaps: false }).logits);
  const file = join(tmp, `${name}-outputs.safetensors`);
  await writeFile(file, encodeSafetensors({ z, images, x, logits }));
  tf.dispose([z, x, images, logits]);
  G.dispose();
  D.dispose();
  return file;
}

describe("gan export-torch", () => {
  it("a trained run (with an EMA): PyTorch loads both nets strictly into reference.py and computes what ours compute", async () => {
    const data = join(tmp, "img_78");
    expect((await run("prepare", "mnist78", "--out", data, "--per-digit", "4")).code).toBe(0);
    const runDir = join(tmp, "trained");
    const trained = await run("train", "--model", "sagan", "--data", data, "--batch-size", "4", "--width", "8", "--epochs", "1", "--ema", "--ema-decay", "0.5", "--no-eval", "--backend", "wasm", "--threads", "1", "--out", runDir, "--quiet");
    expect(trained.err).toBe("");

    const pth = join(tmp, "trained.pth");
    const exported = await run("export-torch", runDir, "--out", pth);
    expect(exported.err).toBe("");
    expect(exported.out).toMatch(/^exported trained step-0000002 \(generator and discriminator, \d+ KiB\) to .*trained\.pth$/);
    const report = checkWithPyTorch(pth, "--outputs", await ourOutputs(runDir, "generator.safetensors", "trained"), "--model", "sagan");
    expect(report).toMatchObject({ model: "sagan", z_dim: 20, width: 8, ok: true, exitCode: 0 });
    console.log(`trained run: PyTorch's max abs differences: G ${report.generator_max_abs}, D ${report.discriminator_max_abs}`);

    // --ema: the generator is the EMA one (other weights than the trained generator's).
    const emaPth = join(tmp, "trained-ema.pth");
    const ema = await run("export-torch", join(runDir, "checkpoints", "step-0000002"), "--out", emaPth, "--ema");
    expect(ema.out).toMatch(/\(generator and discriminator, EMA generator, \d+ KiB\)/);
    const emaReport = checkWithPyTorch(emaPth, "--outputs", await ourOutputs(runDir, EMA_GENERATOR_FILE, "trained-ema"), "--model", "sagan");
    expect(emaReport).toMatchObject({ ok: true, exitCode: 0 });
    const plain = readTorchStateDict(new Uint8Array(await readFile(pth)), { key: "generator" });
    const averaged = readTorchStateDict(new Uint8Array(await readFile(emaPth)), { key: "generator" });
    expect(layout(averaged)).not.toEqual(layout(plain));
    const { tensors } = decodeSafetensors(new Uint8Array(await readFile(join(runDir, "checkpoints", "step-0000002", EMA_GENERATOR_FILE))));
    expect(Array.from(averaged["layer1.0.weight_orig"].data as Float32Array)).toEqual(Array.from(tensors["layer1.0.weight_orig"].dataSync()));
    tf.dispose(Object.values(tensors));
  });

  it("PyTorch → import-torch → export-torch gives PyTorch its own tensors back, bit for bit", async () => {
    for (const model of ["sagan", "dcgan"] as const) {
      const runDir = join(tmp, `round-${model}`);
      expect((await run("import-torch", torchFixture(`${model}.pth`), "--model", model, "--out", runDir)).code).toBe(0);
      const pth = join(tmp, `round-${model}.pth`);
      expect((await run("export-torch", runDir, "--out", pth)).code).toBe(0);
      const original = new Uint8Array(await readFile(torchFixture(`${model}.pth`)));
      const back = new Uint8Array(await readFile(pth));
      for (const key of ["generator", "discriminator"]) {
        expect(layout(readTorchStateDict(back, { key })), `${model} ${key}`).toEqual(layout(readTorchStateDict(original, { key })));
      }
      const report = checkWithPyTorch(pth, "--outputs", torchFixture(`${model}-outputs.safetensors`), "--model", model);
      expect(report, model).toMatchObject({ ok: true, exitCode: 0, generator_max_abs: 0 });
    }
  });

  it("the built command (dist/bin.js, no backend chosen) imports and exports as the scale scripts call it", async () => {
    const bin = new URL("../../dist/bin.js", import.meta.url).pathname;
    expect(existsSync(bin), `${bin}: build @gan/cli first`).toBe(true);
    const runDir = join(tmp, "bin-run");
    const pth = join(tmp, "bin.pth");
    const gan = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
    const imported = gan("import-torch", torchFixture("sagan.pth"), "--model", "sagan", "--out", runDir);
    expect(imported.stderr).toBe("");
    expect(imported.status).toBe(0);
    const exported = gan("export-torch", runDir, "--out", pth);
    expect(exported.stderr).toBe("");
    expect(exported.status).toBe(0);
    expect(checkWithPyTorch(pth, "--outputs", torchFixture("sagan-outputs.safetensors"))).toMatchObject({ ok: true, exitCode: 0 });
  });

  it("a run of another layout is exported with its names, and a note that reference.py has no such class", async () => {
    const runDir = join(tmp, "variant");
    const spec = { model: "sagan", zDim: 20, width: 8, channels: 1, seed: 0, workingSize: 32, attentionAfter: [3] };
    const checkpoint = join(runDir, "checkpoints", "step-0000004");
    await mkdir(checkpoint, { recursive: true });
    await writeFile(join(runDir, "config.json"), JSON.stringify({ extra: { model: spec } }));
    const { generator, discriminator } = buildModels(spec as never);
    for (const [file, net] of [
      ["generator.safetensors", generator],
      ["discriminator.safetensors", discriminator],
    ] as const) {
      const state = net.stateDict();
      await writeFile(join(checkpoint, file), encodeSafetensors(state, { int64: Object.keys(state).filter((k) => state[k].dtype === "int32") }));
    }
    await writeFile(join(checkpoint, "state.json"), "{}");
    const pth = join(tmp, "variant.pth");
    const r = await run("export-torch", runDir, "--out", pth);
    expect(r.err).toBe("");
    expect(r.out.split("\n")[1]).toBe("note: this run's model (sagan with attention after layers 3, working size 32) is none of the article's classes in tools/reference/reference.py; the state dicts keep its names");
    const written = readTorchStateDict(new Uint8Array(await readFile(pth)), { key: "generator" });
    expect(Object.keys(written)).toEqual(Object.keys(generator.stateDict()));
    generator.dispose();
    discriminator.dispose();
  });

  it("replaces --out atomically (no temporary file left) and names what is wrong", async () => {
    const runDir = join(tmp, "errors-run");
    expect((await run("import-torch", torchFixture("dcgan-generator.pth"), "--model", "dcgan", "--out", runDir)).code).toBe(0);
    const outDir = join(tmp, "out");
    await mkdir(outDir);
    const pth = join(outDir, "g.pth");
    await writeFile(pth, "old");
    const r = await run("export-torch", runDir, "--out", pth);
    expect(r.out).toMatch(/^exported errors-run step-0000000 \(generator, \d+ KiB\) to /);
    expect(await readdir(outDir)).toEqual(["g.pth"]);
    expect(Object.keys(readTorchStateDict(new Uint8Array(await readFile(pth)), { key: "generator" }))).toContain("last.0.weight");

    const cases: Array<[string[], string | RegExp]> = [
      [["export-torch", join(tmp, "missing"), "--out", pth], `gan: error: ${join(tmp, "missing")} does not exist\n`],
      [["export-torch", pth, "--out", join(tmp, "x.pth")], `gan: error: ${pth} is a file, expected a run folder (runs/NAME) or one of its checkpoint folders\n`],
      [["export-torch", outDir, "--out", join(tmp, "x.pth")], /has no config\.json; is it a run folder written by 'gan train' or 'gan import-torch'\?/],
      [["export-torch", runDir, "--out", join(tmp, "x.pth"), "--ema"], /--ema: checkpoint .*step-0000000 has no generator-ema\.safetensors \(train with --ema to keep one\)/],
      [["export-torch", runDir, "--out", outDir], `gan: error: --out: ${outDir} is a folder, expected the .pth file to write\n`],
      [["export-torch", runDir], "error: required option '--out <file>' not specified"],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      if (typeof message === "string") expect(result.err, argv.join(" ")).toContain(message);
      else expect(result.err, argv.join(" ")).toMatch(message);
    }
    expect(existsSync(join(tmp, "x.pth"))).toBe(false);
    const empty = join(tmp, "empty-run");
    await mkdir(empty);
    await writeFile(join(empty, "config.json"), "{}");
    expect((await run("export-torch", empty, "--out", join(tmp, "x.pth"))).err).toMatch(/holds no checkpoint \(no checkpoints\/ with a complete step\)/);
  });
});
