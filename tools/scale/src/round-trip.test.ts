/**
 * docs/scale.md's path, end to end: a run trained with the toolkit (`gan train`), exported to PyTorch
 * (`gan export-torch`), continued with DistributedDataParallel on 2 CPU processes (torchrun, gloo), brought back
 * (`gan import-torch`) and drawn from (`gan sample`, `gan export-web`).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const GAN = join(root, "packages", "cli", "dist", "bin.js");
const SCRIPT = join(root, "tools", "scale", "continue_training.py");
const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";
const TORCHRUN = process.env.TORCHRUN ?? "/usr/bin/torchrun";
/** The article's SAGAN at width 16 (the article's `image_size`, 64): its layers and key names, a quarter of the channels. */
const WIDTH = "16";
const STEPS = 3;

/**
 * Runs a command to its end: exit code and stdout + stderr interleaved. After `timeoutMs` its whole process group
 * (torchrun's workers too) is killed, so a hung worker fails the test instead of outliving it.
 */
function exec(command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env }, detached: true });
    let out = "";
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs / 1000} s]`;
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** `gan ...args` from the built CLI; fails the test with its output unless it exits 0. */
async function gan(...args: string[]): Promise<string> {
  const { code, out } = await exec(process.execPath, [GAN, ...args]);
  expect(code, `gan ${args.join(" ")}:\n${out}`).toBe(0);
  return out;
}

/**
 * Loads both .pth files into tools/reference/reference.py's classes (strict, so a missing or extra key fails)
 * and reports the model read from the shapes and, per net, the largest change of any weight (BatchNorm running
 * statistics and spectral-norm vectors left out: they move without training).
 */
const COMPARE = `
import json, sys
sys.path.insert(0, sys.argv[1])
from continue_training import model_of  # puts tools/reference on the path
import torch, reference
before, after = torch.load(sys.argv[2]), torch.load(sys.argv[3])
model, z_dim, width = model_of(before["generator"])
report = {"model": model, "zDim": z_dim, "width": width}
for net, cls in (("generator", "G"), ("discriminator", "D")):
    reference.MODELS[model][cls](z_dim, width).load_state_dict(after[net], strict=True)
    assert before[net].keys() == after[net].keys(), net
    trained = [k for k in before[net] if not k.endswith(("running_mean", "running_var", "num_batches_tracked", "weight_u", "weight_v"))]
    report[net] = max(float((before[net][k] - after[net][k]).abs().max()) for k in trained)
print(json.dumps(report))
`;

/**
 * The checkpoint `gan import-torch` wrote (generator.safetensors, discriminator.safetensors) holds the .pth's
 * tensors bit for bit: the same names, shapes, dtypes and values.
 */
const SAME = `
import json, struct, sys, torch
pth = torch.load(sys.argv[1])
for net in ("generator", "discriminator"):
    raw = open(f"{sys.argv[2]}/{net}.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    assert header.keys() == pth[net].keys(), (net, sorted(set(header) ^ set(pth[net])))
    for k, h in header.items():
        a, b = h["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype={"F32": torch.float32, "I64": torch.int64}[h["dtype"]])
        assert torch.equal(t.view(h["shape"]), pth[net][k]), (net, k)
print("identical")
`;

let tmp: string;
beforeAll(async () => {
  if (!existsSync(GAN)) throw new Error(`no built CLI at ${GAN}: run pnpm turbo run build --filter=@gan/cli...`);
  const torch = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (torch.status !== 0 || !existsSync(TORCHRUN)) {
    throw new Error(
      `no PyTorch at ${PYTHON} with ${TORCHRUN}: install it (apt-get install python3-torch) or set PYTHON and TORCHRUN\n${torch.error ?? torch.stderr ?? ""}`,
    );
  }
  tmp = await mkdtemp(join(tmpdir(), "gan-scale-"));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("a toolkit run continued in PyTorch on 2 processes (DDP, gloo) and brought back", () => {
  it("round trip: gan train → export-torch → torchrun continue_training.py → import-torch → sample, export-web", async () => {
    const data = join(tmp, "data");
    const run = join(tmp, "run");
    const exported = join(tmp, "run.pth");
    const continued = join(tmp, "continued.pth");
    const back = join(tmp, "back");

    // 16 PNGs (lossless, so the minimal PNG reader would read the same pixels as PIL), one epoch of 4 steps.
    await gan("prepare", "mnist78", "--out", data, "--per-digit", "8", "--format", "png");
    await gan("train", "--model", "sagan", "--data", data, "--epochs", "1", "--batch-size", "4", "--width", WIDTH, "--backend", "wasm", "--threads", "1", "--out", run, "--quiet");
    await gan("export-torch", run, "--out", exported);

    // 2 processes; c10d rendezvous on a free port (localhost:0), so parallel runs do not collide. --redirects/--tee:
    // Debian's torchrun (PyTorch 1.13 on Python 3.11) cannot parse their default "0" (docs/scale.md).
    const torchrun = await exec(
      TORCHRUN,
      [
        ...["--nnodes", "1", "--nproc_per_node", "2", "--rdzv_backend", "c10d", "--rdzv_endpoint", "localhost:0"],
        ...["--monitor_interval", "0.5", "--redirects", "1", "--tee", "1", "--log_dir", join(tmp, "torchrun-logs")],
        ...[SCRIPT, exported, "--data", data, "--steps", String(STEPS), "--batch-size", "4", "--out", continued, "--log-every", "1"],
      ],
      { OMP_NUM_THREADS: "1" },
    );
    expect(torchrun.code, torchrun.out).toBe(0);
    expect(torchrun.out).toMatch(new RegExp(`sagan z_dim=20 width=${WIDTH}: 2 process\\(es\\) on cpu \\(gloo\\)`));
    expect(torchrun.out).toContain(`step ${STEPS}/${STEPS}`);
    expect(torchrun.out).toContain("replicas in sync");
    expect(torchrun.out).toContain("rank 0/2 done");
    expect(torchrun.out).toContain("rank 1/2 done");

    // The weights came back strictly loadable into the reference classes, and both nets were trained.
    const compare = await exec(PYTHON, ["-c", COMPARE, join(root, "tools", "scale"), exported, continued]);
    expect(compare.code, compare.out).toBe(0);
    const report = JSON.parse(compare.out.trim().split("\n").at(-1)!) as { model: string; zDim: number; width: number; generator: number; discriminator: number };
    expect(report).toMatchObject({ model: "sagan", zDim: 20, width: Number(WIDTH) });
    expect(report.generator).toBeGreaterThan(1e-6);
    expect(report.discriminator).toBeGreaterThan(1e-6);

    // Back into the toolkit: a sample grid from the continued weights, and the web viewer's folder.
    await gan("import-torch", continued, "--model", "sagan", "--out", back);
    const same = await exec(PYTHON, ["-c", SAME, continued, join(back, "checkpoints", "step-0000000")]);
    expect(same.code, same.out).toBe(0);
    expect(same.out).toContain("identical");
    const grid = join(tmp, "grid.png");
    const before = join(tmp, "grid-before.png");
    await gan("sample", "--checkpoint", back, "--n", "16", "--out", grid, "--backend", "wasm", "--threads", "1");
    await gan("sample", "--checkpoint", run, "--n", "16", "--out", before, "--backend", "wasm", "--threads", "1");
    const meta = await sharp(grid).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 4 * 64 + 5 * 2, 4 * 64 + 5 * 2]);
    // 4 × 4 tiles of 64 × 64, 2 px apart: generated pixels, not one grey, and not the same image twice.
    const { data: pixels, info } = await sharp(grid).raw().toBuffer({ resolveWithObject: true });
    const tile = (i: number) => {
      const [x0, y0] = [2 + (i % 4) * 66, 2 + Math.floor(i / 4) * 66];
      return Array.from({ length: 64 * 64 }, (_, k) => pixels[((y0 + Math.floor(k / 64)) * info.width + x0 + (k % 64)) * info.channels]);
    };
    const first = tile(0);
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(0);
    expect(tile(1)).not.toEqual(first);
    // Same latent codes, other weights: the grid is not the exported run's.
    expect(pixels.equals(await sharp(before).raw().toBuffer())).toBe(false);

    const web = join(tmp, "web");
    await gan("export-web", "--run", back, "--out", web);
    const manifest = JSON.parse(await readFile(join(web, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "gan-web", model: { model: "sagan", zDim: 20, width: Number(WIDTH) }, imageSize: 64 });
  });
});

describe("continue_training.py's minimal PNG reader (used when neither PIL nor torchvision is installed)", () => {
  it("decodes gan prepare's grayscale PNGs and RGB(A) PNGs to the pixels sharp decodes", async () => {
    const dir = join(tmp, "png-reader");
    await gan("prepare", "mnist78", "--out", dir, "--per-digit", "1", "--format", "png");
    const gray = join(dir, "img_7_0.png");
    // The same digit as RGB and as RGBA, equal channels, so the reader's luma is the grey value itself.
    const rgb = join(tmp, "rgb.png");
    const rgba = join(tmp, "rgba.png");
    await sharp(gray).toColourspace("srgb").png({ adaptiveFiltering: true }).toFile(rgb);
    await sharp(gray).toColourspace("srgb").ensureAlpha(0.5).png({ compressionLevel: 9 }).toFile(rgba);
    const files = [gray, rgb, rgba, join(dir, "img_8_0.png")];
    const script = "import sys; sys.path.insert(0, sys.argv[1]); from continue_training import read_png\nfor f in sys.argv[2:]: print(read_png(f).numpy().tobytes().hex())";
    const read = await exec(PYTHON, ["-c", script, join(root, "tools", "scale"), ...files]);
    expect(read.code, read.out).toBe(0);
    const lines = read.out.trim().split("\n").slice(-files.length);
    for (const [i, file] of files.entries()) {
      const expected = await sharp(file).extractChannel(0).raw().toBuffer();
      expect(expected.length).toBe(64 * 64);
      expect(lines[i], file).toBe(expected.toString("hex"));
    }
  });
});

describe("continue_training.py without torchrun (a group of one)", () => {
  it("continues the article's DCGAN (BCE losses) from a .pth written by torch itself, keeping Adam's state", async () => {
    const data = join(tmp, "dcgan-data");
    await gan("prepare", "mnist78", "--out", data, "--per-digit", "4", "--format", "png");
    const start = join(tmp, "dcgan.pth");
    const make = "import sys, torch; sys.path.insert(0, sys.argv[1]); import reference\ng, d = reference.build('dcgan', 12, 8)\ntorch.save({'generator': g.state_dict(), 'discriminator': d.state_dict()}, sys.argv[2])";
    const made = await exec(PYTHON, ["-c", make, join(root, "tools", "reference"), start]);
    expect(made.code, made.out).toBe(0);
    const out = join(tmp, "dcgan-continued.pth");
    const adam = join(tmp, "dcgan-adam.pth");
    const args = [SCRIPT, start, "--data", data, "--steps", "2", "--batch-size", "4", "--out", out, "--optimizer-state", adam];
    const first = await exec(PYTHON, args, { OMP_NUM_THREADS: "1" });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain("dcgan z_dim=12 width=8: 1 process(es) on cpu (gloo)");
    expect(first.out).toContain("rank 0/1 done");
    // A second session from the first one's output and Adam state: Adam's step count goes on from 2 to 4.
    const again = await exec(PYTHON, [...args.slice(0, 1), out, ...args.slice(2)], { OMP_NUM_THREADS: "1" });
    expect(again.code, again.out).toBe(0);
    const compare = await exec(PYTHON, ["-c", COMPARE, join(root, "tools", "scale"), start, out]);
    expect(compare.code, compare.out).toBe(0);
    const report = JSON.parse(compare.out.trim().split("\n").at(-1)!);
    expect(report).toMatchObject({ model: "dcgan", zDim: 12, width: 8 });
    expect(report.generator).toBeGreaterThan(1e-6);
    expect(report.discriminator).toBeGreaterThan(1e-6);
    const adamSteps = "import sys, torch; s = torch.load(sys.argv[1]); print(sorted({int(v['step']) for net in s.values() for v in net['state'].values()}))";
    const steps = await exec(PYTHON, ["-c", adamSteps, adam]);
    expect(steps.out.trim().split("\n").at(-1), steps.out).toBe("[4]");
  });
});

