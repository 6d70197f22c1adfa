import "@tensorflow/tfjs-backend-cpu";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TorchTensor, loadTorchStateDict, readTorchStateDict, torchStateDictOf, writeTorchFile } from "./index";
import { fixtureBytes, maxAbsDiff, outputs } from "./test-support";

const MODELS = {
  sagan: { G: SaganGenerator, D: SaganDiscriminator },
  dcgan: { G: DcganGenerator, D: DcganDiscriminator },
} as const;

/** The largest differences measured here, printed at the end (the report quotes them). */
const measured: Record<string, number> = {};

beforeAll(async () => {
  await tf.setBackend("cpu");
});

afterAll(() => {
  console.log(`max abs differences to PyTorch: ${JSON.stringify(measured)}`);
});

function generatorImages(G: GanGenerator, z: tf.Tensor): Float32Array {
  return tf.tidy(() => G.eval().forward(z as tf.Tensor2D, { attentionMaps: false }).images.dataSync() as Float32Array);
}

function discriminatorLogits(D: GanDiscriminator, x: tf.Tensor): Float32Array {
  return tf.tidy(() => D.eval().forward(x as tf.Tensor4D, { attentionMaps: false }).logits.dataSync() as Float32Array);
}

for (const model of ["sagan", "dcgan"] as const) {
  describe(`${model}: PyTorch's state dicts load strictly into our models, which then compute what PyTorch computed`, () => {
    const { tensors, metadata } = outputs(`${model}-outputs.safetensors`);
    const width = Number(metadata.width);
    afterAll(() => tf.dispose(Object.values(tensors)));

    it(`${model}-generator.pth (a plain state dict): images for the same z within 1e-6`, () => {
      expect(metadata).toMatchObject({ model, width: "8", z_dim: "20" });
      const G = new MODELS[model].G({ width, seed: 42 });
      loadTorchStateDict(G, readTorchStateDict(fixtureBytes(`${model}-generator.pth`)), { source: `${model}-generator.pth` });
      const diff = maxAbsDiff(generatorImages(G, tensors.z), tensors.images.dataSync() as Float32Array);
      measured[`${model} G`] = diff;
      expect(diff).toBeLessThanOrEqual(1e-6);
      G.dispose();
    });

    it(`${model}.pth ({"generator", "discriminator"}): both nets, D's logits within 1e-6`, () => {
      const bytes = fixtureBytes(`${model}.pth`);
      const G = new MODELS[model].G({ width, seed: 1 });
      const D = new MODELS[model].D({ width, seed: 2 });
      loadTorchStateDict(G, readTorchStateDict(bytes, { key: "generator" }));
      loadTorchStateDict(D, readTorchStateDict(bytes, { key: "discriminator" }));
      expect(maxAbsDiff(generatorImages(G, tensors.z), tensors.images.dataSync() as Float32Array)).toBeLessThanOrEqual(1e-6);
      const diff = maxAbsDiff(discriminatorLogits(D, tensors.x), tensors.logits.dataSync() as Float32Array);
      measured[`${model} D`] = diff;
      expect(diff).toBeLessThanOrEqual(1e-6);
      G.dispose();
      D.dispose();
    });

    it("our state dict has exactly PyTorch's names, shapes and dtypes, in PyTorch's order", () => {
      const bytes = fixtureBytes(`${model}.pth`);
      for (const [key, net] of [
        ["generator", new MODELS[model].G({ width })],
        ["discriminator", new MODELS[model].D({ width })],
      ] as const) {
        const theirs = readTorchStateDict(bytes, { key });
        const ours = torchStateDictOf(net);
        const layout = (s: Record<string, TorchTensor>) => Object.entries(s).map(([k, t]) => `${k} ${t.dtype} [${t.shape}]`);
        expect(layout(ours)).toEqual(layout(theirs));
        net.dispose();
      }
    });

    it("written by writeTorchFile and read back: a fresh model computes bit-identical images", () => {
      const G = new MODELS[model].G({ width });
      loadTorchStateDict(G, readTorchStateDict(fixtureBytes(`${model}-generator.pth`)));
      const copy = new MODELS[model].G({ width, seed: 7 });
      loadTorchStateDict(copy, readTorchStateDict(writeTorchFile(torchStateDictOf(G))));
      expect(generatorImages(copy, tensors.z)).toEqual(generatorImages(G, tensors.z));
      G.dispose();
      copy.dispose();
    });
  });
}

describe("loadTorchStateDict: errors name the source and every problem; the module is unchanged", () => {
  it("the other model's weights: missing and unexpected keys listed", () => {
    const G = new DcganGenerator({ width: 8 });
    const before = torchStateDictOf(G);
    const load = () => loadTorchStateDict(G, readTorchStateDict(fixtureBytes("sagan-generator.pth")), { source: "sagan-generator.pth" });
    expect(load).toThrow(/^sagan-generator\.pth: does not fit DcganGenerator\. Error loading state dict into DcganGenerator:\n {2}missing key 'layer1\.0\.weight' \(expected shape \[20,64,4,4\]\)\n/);
    expect(load).toThrow(/\n {2}unexpected key 'layer1\.0\.weight_orig'\n/);
    expect(load).toThrow(/\n {2}unexpected key 'self_attntion2\.gamma'/);
    expect(torchStateDictOf(G)).toEqual(before);
    G.dispose();
  });

  it("another width: the shapes named", () => {
    const G = new SaganGenerator({ width: 4 });
    expect(() => loadTorchStateDict(G, readTorchStateDict(fixtureBytes("sagan-generator.pth")), { source: "g.pth" })).toThrow(
      /^g\.pth: does not fit SaganGenerator\. Error loading state dict into SaganGenerator:\n {2}'layer1\.0\.bias' has shape \[64\], expected \[32\]/,
    );
    G.dispose();
  });

  it("strict: false takes what matches; a dtype that cannot hold the tensor is refused; int64 beyond int32", () => {
    const G = new DcganGenerator({ width: 8 });
    const state = readTorchStateDict(fixtureBytes("dcgan-generator.pth"));
    loadTorchStateDict(G, { "last.0.bias": state["last.0.bias"], extra: state["last.0.bias"] }, { strict: false });
    expect(() => loadTorchStateDict(G, { "last.0.bias": new TorchTensor("int64", [1], new BigInt64Array([1n])) }, { strict: false, source: "x.pth" })).toThrow(
      "x.pth: does not fit DcganGenerator:\n  'last.0.bias' is int64, expected float32, float64, float16, bfloat16 for the module's float32 tensor",
    );
    const huge = new TorchTensor("int64", [], new BigInt64Array([2n ** 40n]));
    expect(() => loadTorchStateDict(G, { "layer1.1.num_batches_tracked": huge }, { strict: false, source: "x.pth" })).toThrow(
      "x.pth: tensor 'layer1.1.num_batches_tracked' holds 1099511627776, beyond int32 (tfjs has no int64)",
    );
    const nan = new TorchTensor("float32", [1], new Float32Array([Number.NaN]));
    expect(() => loadTorchStateDict(G, { "last.0.bias": nan }, { strict: false, source: "x.pth" })).toThrow(/'last\.0\.bias' has 1 non-finite value/);
    G.dispose();
  });

  it("half-precision weights load into float32 parameters", () => {
    const G = new DcganGenerator({ width: 8 });
    const half = new TorchTensor("float16", [1], new Uint16Array([0x3c00])); // 1.0
    loadTorchStateDict(G, { "last.0.bias": half }, { strict: false });
    expect(G.stateDict()["last.0.bias"].dataSync()[0]).toBe(1);
    G.dispose();
  });
});
