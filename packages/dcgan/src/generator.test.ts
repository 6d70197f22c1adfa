import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { readFixture } from "../test/model-parity";
import { DcganGenerator } from "./generator";
import { createGenerator } from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("DcganGenerator", () => {
  it("has PyTorch's state-dict names, in PyTorch's order", () => {
    const G = new DcganGenerator({ width: 16, seed: 1 });
    const reference = readFixture(fixture("generator.init.safetensors")).tensors;
    expect(Object.keys(G.stateDict())).toEqual(Object.keys(reference));
    for (const [name, t] of Object.entries(G.stateDict())) expect(t.shape, name).toEqual(reference[name].shape);
    tf.dispose(Object.values(reference));
    G.dispose();
  });

  it("has as many parameters as the reference Generator(z_dim=20, image_size=64)", () => {
    const counts = JSON.parse(readFileSync(fixture("param-counts.json"), "utf8"));
    const G = createGenerator({ seed: 0 });
    expect(G.numParameters()).toBe(counts.generator);
    expect(G.numParameters()).toBe(2920257);
    G.dispose();
  });

  it("maps z [B, zDim] and its NHWC grid [B, 1, 1, zDim] to the same 64×64 images in [-1, 1]", () => {
    const G = createGenerator({ zDim: 8, width: 2, channels: 3, seed: 3 });
    const z = tf.randomNormal([3, 8], 0, 1, "float32", 1);
    const a = G.forward(z);
    const b = G.forward(tf.reshape(z, [3, 1, 1, 8]));
    expect(a.images.shape).toEqual([3, 64, 64, 3]);
    expect(a.attentionMaps).toEqual([]);
    expect(Array.from(b.images.dataSync())).toEqual(Array.from(a.images.dataSync()));
    const v = a.images.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(tf.moments(a.images).variance.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([z, a.images, b.images]);
    G.dispose();
  });

  it("rejects latent codes of the wrong shape or dtype, naming what it expects", () => {
    const G = createGenerator({ zDim: 4, width: 1 });
    const cases: Array<[tf.Tensor, string]> = [
      [tf.zeros([2, 5]), "z must be [B, 4] or [B, 1, 1, 4] with B ≥ 1, got [2,5]"],
      [tf.zeros([2, 4, 1, 1]), "z must be [B, 4] or [B, 1, 1, 4] with B ≥ 1, got [2,4,1,1]"],
      [tf.zeros([4]), "z must be [B, 4] or [B, 1, 1, 4] with B ≥ 1, got [4]"],
      [tf.zeros([2, 4], "int32"), "z must be float32, got int32"],
    ];
    for (const [z, message] of cases) expect(() => G.forward(z)).toThrow(`DcganGenerator.forward: ${message}`);
    tf.dispose(cases.map(([z]) => z));
    G.dispose();
  });

  it("initialises as the reference weights_init by default, and as PyTorch with init: 'pytorch'", () => {
    const G = createGenerator({ width: 8, seed: 4 });
    const w = G.stateDict()["layer2.0.weight"];
    const { mean, variance } = tf.moments(w);
    expect(Math.abs(mean.dataSync()[0])).toBeLessThan(0.002);
    expect(Math.sqrt(variance.dataSync()[0])).toBeCloseTo(0.02, 2);
    expect(Array.from(G.stateDict()["layer2.0.bias"].dataSync()).every((x) => x === 0)).toBe(true);
    const bn = G.stateDict()["layer2.1.weight"].dataSync();
    expect(Array.from(bn).every((x) => Math.abs(x - 1) < 0.1)).toBe(true);
    expect(new Set(bn).size).toBeGreaterThan(1);

    const P = createGenerator({ width: 8, seed: 4, init: "pytorch" });
    const bias = Array.from(P.stateDict()["layer2.0.bias"].dataSync());
    // PyTorch's ConvTranspose2d default: U(±1/√(out·kH·kW)), fan-in from weight dimension 1.
    const bound = 1 / Math.sqrt(16 * 4 * 4);
    expect(bias.some((x) => x !== 0)).toBe(true);
    expect(bias.every((x) => Math.abs(x) <= bound)).toBe(true);
    expect(Array.from(P.stateDict()["layer2.1.weight"].dataSync()).every((x) => x === 1)).toBe(true);
    tf.dispose([mean, variance]);
    G.dispose();
    P.dispose();
  });

  it("is reproducible from its seed or Random, and differs between seeds", () => {
    const weights = (G: DcganGenerator) => Array.from(G.stateDict()["layer1.0.weight"].dataSync());
    const a = createGenerator({ width: 2, seed: 7 });
    const b = createGenerator({ width: 2, random: new Random(7) });
    const c = createGenerator({ width: 2, seed: 8 });
    expect(weights(b)).toEqual(weights(a));
    expect(weights(c)).not.toEqual(weights(a));
    for (const G of [a, b, c]) G.dispose();
  });

  it("reports bad options with the class name", () => {
    expect(() => createGenerator({ channels: 4 })).toThrow("DcganGenerator: option 'channels' must be 1 or 3, got 4");
  });
});
