import "@tensorflow/tfjs-backend-cpu";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { Random, encodeSafetensors } from "@gan/layers";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TorchStateDict, loadTorchStateDict, readTorchStateDict, torchStateDictOf, writeTorchFile } from "./index";
import { checkWithPyTorch, requirePyTorch } from "./test-support";

/**
 * Our files checked by PyTorch itself (tools/parity/check_torch_export.py): `torch.load(weights_only=True)`, a
 * strict `load_state_dict` into the article's classes of tools/reference/reference.py at the article's size
 * (z 20, width 64), and the nets' outputs against ours. Then the state dicts PyTorch saves again are read back.
 */
const MODELS = {
  sagan: { G: SaganGenerator, D: SaganDiscriminator },
  dcgan: { G: DcganGenerator, D: DcganDiscriminator },
} as const;
/**
 * Max abs difference between PyTorch's outputs and ours, computed here by PyTorch on this machine. At width 64 a
 * logit sums 8,192 products per output of the last convolution, and PyTorch's kernels (oneDNN, chosen per CPU) sum
 * in an order of their own: 9.2e-7 was measured for SAGAN's D (logits up to 0.43), at float32's floor, so the bound
 * is the repository's forward-parity bound rather than 1e-6, which the width-8 fixtures (models.test.ts) and the
 * CLI's exports meet.
 */
const TOLERANCE = 1e-5;

let tmp: string;
const measured: Record<string, unknown> = {};
beforeAll(async () => {
  requirePyTorch();
  await tf.setBackend("cpu");
  tmp = await mkdtemp(join(tmpdir(), "gan-torch-pytorch-"));
});
afterAll(async () => {
  console.log(`PyTorch's max abs differences to our outputs: ${JSON.stringify(measured)}`);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/**
 * Weights whose outputs are large enough for a 1e-6 comparison to mean something: the output layers scaled (the
 * article's initialisation draws images of about ±0.005), then train-mode forwards that move the BatchNorm
 * statistics and the spectral-norm vectors (one: the cpu backend takes seconds per forward at width 64).
 */
function liven(G: GanGenerator, D: GanDiscriminator, random: Random): void {
  for (const [net, name, gain] of [
    [G, "last.0.weight", 60],
    [D, "last.weight", 10],
  ] as const) {
    const w = net.stateDict()[name] as tf.Variable;
    tf.tidy(() => w.assign(tf.mul(w, gain)));
  }
  tf.tidy(() => {
    G.train().forward(random.normal([2, G.zDim]) as tf.Tensor2D, { attentionMaps: false });
    D.train().forward(random.uniform([2, 64, 64, 1], -1, 1) as tf.Tensor4D, { attentionMaps: false });
  });
  G.eval();
  D.eval();
}

/** Each tensor's name, dtype, shape and a hash of its bytes (toEqual on millions of elements is slow). */
function layout(state: TorchStateDict): string[] {
  return Object.entries(state).map(([name, t]) => {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return `${name} ${t.dtype} [${t.shape}] ${createHash("sha256").update(bytes).digest("hex")}`;
  });
}

for (const model of ["sagan", "dcgan"] as const) {
  describe(`${model} at the article's size: our .pth loads strictly into reference.py and computes our outputs`, () => {
    it("PyTorch loads it (weights_only), strictly, with our dtypes and shapes; outputs agree; its re-save reads back", { timeout: 600_000 }, async () => {
      const random = new Random(11);
      const G = new MODELS[model].G({ seed: 5 });
      const D = new MODELS[model].D({ seed: 6 });
      expect([G.zDim, G.width]).toEqual([20, 64]);
      liven(G, D, random);
      const z = random.normal([2, 20]);
      const x = random.uniform([2, 64, 64, 1], -1, 1);
      const images = tf.tidy(() => G.forward(z as tf.Tensor2D, { attentionMaps: false }).images);
      const logits = tf.tidy(() => D.forward(x as tf.Tensor4D, { attentionMaps: false }).logits);

      const file = join(tmp, `${model}.pth`);
      await writeFile(file, writeTorchFile({ generator: torchStateDictOf(G), discriminator: torchStateDictOf(D) }));
      const ours = join(tmp, `${model}-ours.safetensors`);
      await writeFile(ours, encodeSafetensors({ z, images, x, logits }));
      const again = join(tmp, `${model}-again.pth`);
      const report = checkWithPyTorch(file, "--outputs", ours, "--model", model, "--tolerance", String(TOLERANCE), "--resave", again);
      measured[model] = { G: report.generator_max_abs, imagesMax: report.images_max, D: report.discriminator_max_abs, logitsMax: report.logits_max };
      expect(report).toMatchObject({ model, z_dim: 20, width: 64, ok: true, exitCode: 0 });
      expect(report.generator_tensors).toBe(Object.keys(G.stateDict()).length);

      // The file PyTorch wrote (torch.save of the nets it loaded) holds exactly our weights.
      const bytes = new Uint8Array(await readFile(again));
      for (const [key, net, Fresh] of [
        ["generator", G, MODELS[model].G],
        ["discriminator", D, MODELS[model].D],
      ] as const) {
        const theirs = readTorchStateDict(bytes, { key, source: again });
        expect(layout(theirs)).toEqual(layout(torchStateDictOf(net)));
        const fresh = new Fresh({ seed: 99 });
        loadTorchStateDict(fresh, theirs, { source: again });
        expect(layout(torchStateDictOf(fresh))).toEqual(layout(torchStateDictOf(net)));
        fresh.dispose();
      }
      tf.dispose([z, x, images, logits]);
      G.dispose();
      D.dispose();
    });
  });
}

describe("check_torch_export.py itself", () => {
  it("fails on outputs that differ and on a state dict that does not fit", async () => {
    const G = new DcganGenerator({ width: 4 });
    const z = tf.ones([1, 20]);
    const images = tf.tidy(() => tf.add(G.eval().forward(z as tf.Tensor2D).images, 1e-3));
    const file = join(tmp, "g.pth");
    await writeFile(file, writeTorchFile(torchStateDictOf(G)));
    const ours = join(tmp, "g.safetensors");
    await writeFile(ours, encodeSafetensors({ z, images }));
    const report = checkWithPyTorch(file, "--outputs", ours);
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
    expect(report.generator_max_abs as number).toBeGreaterThan(9e-4);

    const state = torchStateDictOf(G);
    delete state["layer1.1.running_var"];
    await writeFile(file, writeTorchFile(state));
    expect(() => checkWithPyTorch(file)).toThrow(/Missing key\(s\) in state_dict: "layer1\.1\.running_var"/);
    tf.dispose([z, images]);
    G.dispose();
  });
});
