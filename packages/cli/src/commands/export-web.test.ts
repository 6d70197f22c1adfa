import "@tensorflow/tfjs-backend-cpu";
import { DcganGenerator } from "@gan/dcgan";
import { decodeSafetensors } from "@gan/layers";
import { loadWeights, saveWeights } from "@gan/layers/node";
import { EMA_GENERATOR_FILE } from "@gan/trainer";
import { type NormalizableLayer, SaganGenerator } from "@gan/sagan";
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../main";
import type { ModelSpec } from "@gan/recipes";
import { exportWebCommand, type WebManifest } from "./export-web";
import type { CommandIO } from "./train";

function capture(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, log: (m) => out.push(m), stderr: { write: (s: string) => err.push(s), isTTY: false } as unknown as NodeJS.WriteStream };
}

/**
 * A run folder as `gan train` leaves it (config.json, checkpoints/step-N/, checkpoints/latest), without training;
 * with `ema`, each checkpoint also holds a generator-ema.safetensors (other weights than its generator's).
 */
async function fakeRun(dir: string, spec: ModelSpec, steps: number[], weightsSpec: ModelSpec = spec, ema = false): Promise<void> {
  await mkdir(join(dir, "checkpoints"), { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ backend: "cpu", extra: { model: spec } }));
  const base = { zDim: weightsSpec.zDim, width: weightsSpec.width, channels: weightsSpec.channels, seed: weightsSpec.seed };
  const plain = weightsSpec.generatorSpectralNorm === false ? { normalize: (layer: NormalizableLayer) => layer } : {};
  for (const step of steps) {
    const ckpt = join(dir, "checkpoints", `step-${String(step).padStart(7, "0")}`);
    await mkdir(ckpt, { recursive: true });
    const g = weightsSpec.model === "sagan" ? new SaganGenerator({ ...base, ...plain, seed: step }) : new DcganGenerator({ ...base, seed: step });
    await saveWeights(g, join(ckpt, "generator.safetensors"));
    g.dispose();
    if (ema) {
      const average = weightsSpec.model === "sagan" ? new SaganGenerator({ ...base, ...plain, seed: 1000 + step }) : new DcganGenerator({ ...base, seed: 1000 + step });
      await saveWeights(average, join(ckpt, EMA_GENERATOR_FILE));
      average.dispose();
    }
    await writeFile(join(ckpt, "state.json"), JSON.stringify({ step }));
  }
  await writeFile(join(dir, "checkpoints", "latest"), `step-${String(steps[steps.length - 1]).padStart(7, "0")}\n`);
}

const sagan: ModelSpec = { model: "sagan", zDim: 20, width: 4, channels: 1, seed: 0 };
let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await mkdtemp(join(tmpdir(), "gan-export-web-"));
});

describe("gan export-web", () => {
  it("copies the latest generator and writes a manifest the page can rebuild the model from", async () => {
    const run = join(tmp, "sagan-run");
    await fakeRun(run, sagan, [2, 4]);
    const out = join(tmp, "web", "model");
    const io = capture();
    const manifest = await exportWebCommand({ run, out }, io);

    const source = await readFile(join(run, "checkpoints", "step-0000004", "generator.safetensors"));
    const copied = await readFile(join(out, "generator.safetensors"));
    expect(Buffer.compare(source, copied)).toBe(0);
    const onDisk = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as WebManifest;
    expect(onDisk).toEqual(manifest);
    expect(manifest).toMatchObject({
      format: "gan-web",
      version: 1,
      model: { model: "sagan", zDim: 20, width: 4, channels: 1 },
      imageSize: 64,
      attention: [
        { name: "self_attntion1", after: 3, side: 16 },
        { name: "self_attntion2", after: 4, side: 32 },
      ],
      weights: { file: "generator.safetensors", bytes: source.byteLength, sha256: createHash("sha256").update(source).digest("hex") },
      source: { run: "sagan-run", checkpoint: "step-0000004", step: 4, backend: "cpu" },
    });
    expect(io.out.join("\n")).toMatch(/exported sagan-run \(sagan, width 4, step-0000004/);

    // What the page does: decode the bytes (no file system) and load them, strictly, into the model the manifest describes.
    const { model: _sagan, ...config } = manifest.model;
    const g = new SaganGenerator({ ...config, seed: 99 });
    const { tensors } = decodeSafetensors(new Uint8Array(copied));
    g.loadStateDict(tensors, { strict: true });
    tf.dispose(Object.values(tensors));
    g.eval();
    const { images, attentionMaps } = g.forward(tf.zeros([1, 20]));
    expect(images.shape).toEqual([1, 64, 64, 1]);
    expect(attentionMaps.map((m) => m.shape)).toEqual(manifest.attention.map((a) => [1, a.side ** 2, a.side ** 2]));
    tf.dispose([images, ...attentionMaps]);
    g.dispose();
  });

  it("exports a given checkpoint folder and a DCGAN (no attention), through the command line", async () => {
    const run = join(tmp, "dcgan-run");
    const spec: ModelSpec = { model: "dcgan", zDim: 8, width: 2, channels: 3, seed: 0 };
    await fakeRun(run, spec, [1, 3]);
    const out = join(tmp, "dcgan-web");
    const err: string[] = [];
    const code = await main(["export-web", "--run", join(run, "checkpoints", "step-0000001"), "--out", out], {
      log: () => {},
      stderr: { write: (s: string) => err.push(s) } as unknown as NodeJS.WriteStream,
    });
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as WebManifest;
    expect(manifest.model).toEqual({ model: "dcgan", zDim: 8, width: 2, channels: 3 });
    expect(manifest.attention).toEqual([]);
    expect(manifest.source).toMatchObject({ checkpoint: "step-0000001", step: 1, ema: false });
    const { model: _dcgan, ...config } = manifest.model;
    await loadWeights(new DcganGenerator(config), join(out, "generator.safetensors"), { strict: true });
  });

  it("--ema exports the checkpoint's EMA generator, and names the checkpoint that has none", async () => {
    const run = join(tmp, "ema-run");
    await fakeRun(run, sagan, [2, 4], sagan, true);
    const out = join(tmp, "ema-web");
    const err: string[] = [];
    const log: string[] = [];
    const code = await main(["export-web", "--run", run, "--out", out, "--ema"], {
      log: (m) => log.push(m),
      stderr: { write: (s: string) => err.push(s) } as unknown as NodeJS.WriteStream,
    });
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    const source = await readFile(join(run, "checkpoints", "step-0000004", EMA_GENERATOR_FILE));
    const copied = await readFile(join(out, "generator.safetensors"));
    expect(Buffer.compare(source, copied)).toBe(0);
    const trained = await readFile(join(run, "checkpoints", "step-0000004", "generator.safetensors"));
    expect(Buffer.compare(trained, copied)).not.toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as WebManifest;
    expect(manifest.weights).toEqual({ file: "generator.safetensors", bytes: source.byteLength, sha256: createHash("sha256").update(source).digest("hex") });
    expect(manifest.source).toMatchObject({ run: "ema-run", checkpoint: "step-0000004", step: 4, ema: true });
    expect(log.join("\n")).toMatch(/exported ema-run \(sagan, width 4, step-0000004, EMA generator, \d+ KiB\)/);
    const { model: _sagan, ...config } = manifest.model;
    await loadWeights(new SaganGenerator({ ...config, seed: 0 }), join(out, "generator.safetensors"), { strict: true });

    // A checkpoint without an EMA: a one-line error naming it, and nothing written.
    const plain = join(tmp, "no-ema-run");
    await fakeRun(plain, sagan, [3]);
    const none = join(tmp, "no-ema-web");
    const io = capture();
    await expect(exportWebCommand({ run: plain, out: none, ema: true }, io)).rejects.toThrow(
      `--ema: checkpoint ${join(plain, "checkpoints", "step-0000003")} has no generator-ema.safetensors (train with --ema to keep one)`,
    );
    const failed: string[] = [];
    const failedCode = await main(["export-web", "--run", plain, "--out", none, "--ema"], {
      log: () => {},
      stderr: { write: (s: string) => failed.push(s) } as unknown as NodeJS.WriteStream,
    });
    expect(failedCode).toBe(1);
    expect(failed.join("")).toMatch(/^gan: error: --ema: checkpoint .*step-0000003 has no generator-ema\.safetensors \(train with --ema to keep one\)\n$/);
    expect(existsSync(none)).toBe(false);
  });

  it("a SAGAN trained with --no-g-spectral-norm: generatorSpectralNorm false in the manifest, plain weights the page loads", async () => {
    const spec: ModelSpec = { ...sagan, generatorSpectralNorm: false };
    const run = join(tmp, "no-g-sn-run");
    await fakeRun(run, spec, [2]);
    const out = join(tmp, "no-g-sn-web");
    const manifest = await exportWebCommand({ run, out }, capture());
    expect(manifest.model).toEqual({ model: "sagan", zDim: 20, width: 4, channels: 1, generatorSpectralNorm: false });
    expect(JSON.parse(await readFile(join(out, "manifest.json"), "utf8")).model).toEqual(manifest.model);
    const { model: _sagan, generatorSpectralNorm: _off, ...config } = manifest.model;
    const g = new SaganGenerator({ ...config, seed: 0, normalize: (layer) => layer });
    await loadWeights(g, join(out, "generator.safetensors"), { strict: true });
    g.dispose();

    // The reference's manifest has no such field.
    const reference = join(tmp, "sn-run");
    await fakeRun(reference, sagan, [2]);
    expect((await exportWebCommand({ run: reference, out: join(tmp, "sn-web") }, capture())).model).not.toHaveProperty("generatorSpectralNorm");

    // Weights that disagree with the recorded setting are refused, naming it.
    const withSn = join(tmp, "no-g-sn-config-sn-weights");
    await fakeRun(withSn, spec, [1], sagan);
    await expect(exportWebCommand({ run: withSn, out: join(tmp, "x") }, capture())).rejects.toThrow(
      /no tensor 'layer1\.0\.weight'; these are not the weights of a sagan generator without spectral norm \(--no-g-spectral-norm\)$/,
    );
    const withoutSn = join(tmp, "sn-config-plain-weights");
    await fakeRun(withoutSn, sagan, [1], spec);
    await expect(exportWebCommand({ run: withoutSn, out: join(tmp, "x") }, capture())).rejects.toThrow(
      /no tensor 'layer1\.0\.weight_orig'; these are not the weights of a sagan generator with spectral norm$/,
    );
    expect(existsSync(join(tmp, "x"))).toBe(false);
  });

  it("fails with a one-line error naming the problem", async () => {
    const run = async (...argv: string[]) => {
      const err: string[] = [];
      const code = await main(argv, { log: () => {}, stderr: { write: (s: string) => err.push(s) } as unknown as NodeJS.WriteStream });
      return { code, err: err.join("") };
    };
    expect(await run("export-web", "--out", tmp)).toMatchObject({ code: 2, err: expect.stringMatching(/required option '--run <dir>'/) });
    expect((await run("export-web", "--run", join(tmp, "nope"), "--out", tmp)).err).toMatch(/^gan: error: --run: .*nope does not exist\n$/);

    const empty = join(tmp, "empty");
    await mkdir(empty);
    expect((await run("export-web", "--run", empty, "--out", tmp)).err).toMatch(/has no config\.json/);
    await writeFile(join(empty, "config.json"), "{}");
    expect((await run("export-web", "--run", empty, "--out", tmp)).err).toMatch(/holds no checkpoint/);

    const plugin = join(tmp, "plugin-run");
    await fakeRun(plugin, { ...sagan, attention: "pooled" }, [1]);
    expect((await run("export-web", "--run", plugin, "--out", tmp)).err).toMatch(/attention layer 'pooled'.*reference self-attention/);

    const mismatched = join(tmp, "mismatched-run");
    await fakeRun(mismatched, { ...sagan, width: 8 }, [1], sagan);
    expect((await run("export-web", "--run", mismatched, "--out", tmp)).err).toMatch(
      /'layer1\.0\.weight_orig' has shape \[20,32,4,4\], expected \[20,64,4,4\] for sagan width 8/,
    );
  });
});
