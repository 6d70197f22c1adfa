import "@tensorflow/tfjs-backend-cpu";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random, decodeSafetensors, encodeSafetensors } from "@gan/layers";
import { readTorchStateDict, writeTorchFile } from "@gan/torch";
import { imagesToRgb, tileGrid } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../test-support";
import { checkWithPyTorch, requirePyTorch, torchFixture } from "../torch-test-support";

let tmp: string;
beforeAll(async () => {
  requirePyTorch();
  await tf.setBackend("cpu");
  tmp = await mkdtemp(join(tmpdir(), "gan-import-torch-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A PNG's pixels as RGB bytes. */
async function pixels(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/**
 * The grid `gan sample --n <n> --seed <seed>` draws, computed by PyTorch: the same z (our `Random(seed)`) through the
 * reference generator of `pth` (tools/parity/check_torch_export.py --write-images), tiled as `gan sample` tiles.
 */
async function pytorchGrid(pth: string, n: number, seed: number): Promise<{ width: number; height: number; data: Uint8Array }> {
  const z = new Random(seed).normal([n, 20]);
  const zFile = join(tmp, `z-${n}-${seed}.safetensors`);
  await writeFile(zFile, encodeSafetensors({ z }));
  z.dispose();
  const imagesFile = join(tmp, `images-${n}-${seed}.safetensors`);
  expect(checkWithPyTorch(pth, "--outputs", zFile, "--write-images", imagesFile)).toMatchObject({ exitCode: 0 });
  const { tensors } = decodeSafetensors(new Uint8Array(await readFile(imagesFile)));
  const grid = tileGrid(imagesToRgb(tensors.images as tf.Tensor4D), { columns: Math.ceil(Math.sqrt(n)) });
  tf.dispose(Object.values(tensors));
  return grid;
}

describe("gan import-torch", () => {
  for (const [model, file, nets] of [
    ["sagan", "sagan.pth", ["generator.safetensors", "discriminator.safetensors"]],
    ["dcgan", "dcgan-generator.pth", ["generator.safetensors"]],
  ] as const) {
    it(`${file}: a run folder that gan sample draws from, pixel for pixel what PyTorch draws`, async () => {
      const runDir = join(tmp, `${model}-run`);
      const imported = await run("import-torch", torchFixture(file), "--model", model, "--out", runDir);
      expect(imported.err).toBe("");
      expect(imported.code).toBe(0);
      const what = nets.length === 2 ? "generator and discriminator" : "generator (the file has no discriminator)";
      expect(imported.out).toBe(`imported the ${what} of ${model} (z 20, width 8, 1 channel) from ${torchFixture(file)} into ${join(runDir, "checkpoints", "step-0000000")}`);
      const config = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
      expect(config.extra.model).toEqual({ model, zDim: 20, width: 8, channels: 1, seed: 0 });
      expect(config.extra.importedFrom).toMatchObject({ format: "torch.save", entries: nets.length === 2 ? { generator: "generator", discriminator: "discriminator" } : { generator: null } });
      expect((await readdir(join(runDir, "checkpoints", "step-0000000"))).sort()).toEqual([...nets, "state.json"].sort());
      expect((await readFile(join(runDir, "checkpoints", "latest"), "utf8")).trim()).toBe("step-0000000");

      // The weights in the checkpoint are the file's, bit for bit.
      const original = readTorchStateDict(new Uint8Array(await readFile(torchFixture(file))), nets.length === 2 ? { key: "generator" } : {});
      const { tensors, dtypes } = decodeSafetensors(new Uint8Array(await readFile(join(runDir, "checkpoints", "step-0000000", "generator.safetensors"))));
      expect(Object.keys(tensors)).toEqual(Object.keys(original));
      expect(Array.from(tensors["layer2.0.bias"].dataSync())).toEqual(Array.from(original["layer2.0.bias"].data as Float32Array));
      expect(dtypes["layer1.1.num_batches_tracked"]).toBe("I64");
      tf.dispose(Object.values(tensors));

      const grid = join(tmp, `${model}.png`);
      const sampled = await run("sample", "--checkpoint", runDir, "--n", "9", "--seed", "3", "--out", grid);
      expect(sampled.err).toBe("");
      const ours = await pixels(grid);
      const theirs = await pytorchGrid(torchFixture(file), 9, 3);
      expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
      const differing = ours.data.reduce((n, v, i) => n + (v !== theirs.data[i] ? 1 : 0), 0);
      expect(differing).toBe(0);

      const web = join(tmp, `${model}-web`);
      expect((await run("export-web", "--run", runDir, "--out", web)).err).toBe("");
      expect(JSON.parse(await readFile(join(web, "manifest.json"), "utf8")).model).toEqual({ model, zDim: 20, width: 8, channels: 1 });
    });
  }

  it("{G, D} and {netG, netD} entries are found; --key and --discriminator-key name others", async () => {
    const file = new Uint8Array(await readFile(torchFixture("dcgan.pth")));
    const g = readTorchStateDict(file, { key: "generator" });
    const d = readTorchStateDict(file, { key: "discriminator" });
    for (const [keys, flags] of [
      [["G", "D"], []],
      [["netG", "netD"], []],
      [["gen_ema", "disc"], ["--key", "gen_ema", "--discriminator-key", "disc"]],
      [["g_only", "other"], ["--key", "g_only"]],
    ] as const) {
      const pth = join(tmp, `${keys[0]}.pth`);
      await writeFile(pth, writeTorchFile({ [keys[0]]: g, [keys[1]]: d, epoch: 12 }));
      const runDir = join(tmp, `keys-${keys[0]}`);
      const result = await run("import-torch", pth, "--model", "dcgan", "--out", runDir, ...flags);
      expect(result.err, keys.join()).toBe("");
      const entries = JSON.parse(await readFile(join(runDir, "config.json"), "utf8")).extra.importedFrom.entries;
      expect(entries).toEqual(keys[0] === "g_only" ? { generator: "g_only" } : { generator: keys[0], discriminator: keys[1] });
      expect(existsSync(join(runDir, "checkpoints", "step-0000000", "discriminator.safetensors"))).toBe(keys[0] !== "g_only");
    }
  });

  it("refuses, with clear errors and nothing written: a wrong --model, missing keys, files that are no state dicts", async () => {
    const sagan = torchFixture("sagan.pth");
    const out = join(tmp, "refused");
    const cases: Array<[string[], number, string | RegExp]> = [
      [["import-torch", sagan, "--model", "biggan", "--out", out], 2, "error: option '--model <name>' argument 'biggan' is invalid. expected one of dcgan, sagan"],
      [["import-torch", sagan, "--out", out], 2, "error: required option '--model <name>' not specified"],
      [["import-torch", sagan, "--model", "sagan"], 2, "error: required option '--out <dir>' not specified"],
      [
        ["import-torch", sagan, "--model", "dcgan", "--out", out],
        1,
        `gan: error: ${sagan}: entry 'generator': these are not the weights of the article's dcgan generator (expected layer1.0.weight, last.0.weight; found layer1.0.bias, layer1.0.weight_orig, layer1.0.weight_u, layer1.0.weight_v, ...); they look like sagan's (pass --model sagan)\n`,
      ],
      [["import-torch", sagan, "--model", "sagan", "--z-dim", "64", "--out", out], 1, `gan: error: --z-dim 64, but ${sagan}: entry 'generator' holds the weights of z_dim 20 ('layer1.0.weight_orig' has shape [20,64,4,4])\n`],
      [["import-torch", sagan, "--model", "sagan", "--width", "64", "--out", out], 1, /--width 64, but .* holds the weights of width 8/],
      [["import-torch", sagan, "--model", "sagan", "--key", "G", "--out", out], 1, `gan: error: ${sagan}: has no entry 'G' (--key); its keys: 'generator', 'discriminator'\n`],
      [["import-torch", torchFixture("malicious-os-system.pth"), "--model", "sagan", "--out", out], 1, /^gan: error: .*malicious-os-system\.pth: archive\/data\.pkl: byte 2: the pickle refers to the global 'os\.system', which a state dict never needs and which is not loaded/],
      [["import-torch", torchFixture("legacy.pth"), "--model", "sagan", "--out", out], 1, /legacy\.pth: this is the legacy torch\.save format/],
      [["import-torch", torchFixture("values.pth"), "--model", "sagan", "--out", out], 1, /values\.pth: is neither a state dict nor a dict with a generator entry \(generator, G, netG\); its keys: 'matrix', 'row', .*\. Name the generator's entry with --key\n$/],
      [["import-torch", join(tmp, "nowhere.pth"), "--model", "sagan", "--out", out], 1, /^gan: error: cannot read .*nowhere\.pth: ENOENT/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(code);
      if (typeof message === "string") expect(r.err, argv.join(" ")).toContain(message);
      else expect(r.err, argv.join(" ")).toMatch(message);
    }
    const notZip = join(tmp, "notes.pth");
    await writeFile(notZip, "just some text\n");
    const r = await run("import-torch", notZip, "--model", "sagan", "--out", out);
    expect(r.err).toBe(`gan: error: ${notZip}: not a torch.save file: it starts with bytes 6a 75 73 74, a torch.save zip archive with 'PK'\n`);
    expect(existsSync(out)).toBe(false);
  });

  it("weights that do not fit: every missing, unexpected and mis-shaped tensor named", async () => {
    const state = readTorchStateDict(new Uint8Array(await readFile(torchFixture("sagan-generator.pth"))));
    delete state["layer2.1.running_var"];
    state["layer5.0.weight"] = state["last.0.weight"];
    state["self_attntion1.gamma"] = state["layer2.1.running_mean"];
    const pth = join(tmp, "broken.pth");
    await writeFile(pth, writeTorchFile(state));
    const out = join(tmp, "broken-run");
    const r = await run("import-torch", pth, "--model", "sagan", "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`gan: error: ${pth}: does not fit SaganGenerator. Error loading state dict into SaganGenerator:\n`);
    expect(r.err).toContain("  missing key 'layer2.1.running_var' (expected shape [32])\n");
    expect(r.err).toContain("  'self_attntion1.gamma' has shape [32], expected [1]\n");
    expect(r.err).toContain("  unexpected key 'layer5.0.weight'");
    expect(existsSync(out)).toBe(false);
  });

  it("never overwrites a run; an empty folder is fine", async () => {
    const runDir = join(tmp, "twice");
    await mkdir(runDir);
    expect((await run("import-torch", torchFixture("dcgan-generator.pth"), "--model", "dcgan", "--out", runDir)).code).toBe(0);
    const config = await readFile(join(runDir, "config.json"), "utf8");
    const again = await run("import-torch", torchFixture("dcgan-generator.pth"), "--model", "dcgan", "--out", runDir);
    expect(again.code).toBe(1);
    expect(again.err).toBe(`gan: error: --out: ${runDir} already holds a run (checkpoints/); import into a new folder, nothing is overwritten\n`);
    expect(await readFile(join(runDir, "config.json"), "utf8")).toBe(config);
  });

  it("an imported run is sampled, not resumed: gan train --resume says why", async () => {
    const runDir = join(tmp, "not-resumable");
    expect((await run("import-torch", torchFixture("dcgan.pth"), "--model", "dcgan", "--out", runDir)).code).toBe(0);
    const data = join(tmp, "few-digits");
    expect((await run("prepare", "mnist78", "--out", data, "--per-digit", "1")).code).toBe(0);
    const resumed = await run("train", "--resume", "--out", runDir, "--data", data, "--backend", "cpu", "--quiet");
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain(
      `step-0000000/state.json: format: expected "gan-toolkit/trainer-checkpoint" (a @gan/trainer checkpoint), got "gan-toolkit/imported-weights"`,
    );
  });

  it("--help shows the usage and an example", async () => {
    const help = await run("import-torch", "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: gan import-torch [options] <file>");
    expect(help.out).toContain("gan import-torch sagan.pth --model sagan --out runs/from-torch");
    const top = await run("--help");
    expect(top.out).toMatch(/import-torch \[options\] <file>/);
    expect(top.out).toMatch(/export-torch \[options\] <run>/);
  });
});
