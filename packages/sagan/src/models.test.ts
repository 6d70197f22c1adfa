import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { readFixture } from "../../dcgan/test/model-parity";
import { createDiscriminator, createGenerator } from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const counts = JSON.parse(readFileSync(fixture("param-counts.json"), "utf8"));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SaganGenerator and SaganDiscriminator", () => {
  it.each([
    ["generator", () => createGenerator({ width: 16, seed: 1 })],
    ["discriminator", () => createDiscriminator({ width: 16, seed: 1 })],
  ])("the %s has PyTorch's state-dict names (self_attntion typo included) and shapes, in PyTorch's order", (name, build) => {
    const model = build();
    const reference = readFixture(fixture(`${name}.init.safetensors`)).tensors;
    expect(Object.keys(model.stateDict())).toEqual(Object.keys(reference));
    expect(Object.keys(reference)).toContain("self_attntion2.gamma");
    expect(Object.keys(reference)).toContain("layer1.0.weight_orig");
    for (const [key, t] of Object.entries(model.stateDict())) expect(t.shape, key).toEqual(reference[key].shape);
    tf.dispose(Object.values(reference));
    model.dispose();
  });

  it("spectral norm wraps every convolution but the last of each network", () => {
    const G = createGenerator({ width: 2 });
    const D = createDiscriminator({ width: 2 });
    for (const model of [G, D]) {
      const keys = Object.keys(model.stateDict());
      for (const layer of ["layer1", "layer2", "layer3", "layer4"]) expect(keys).toContain(`${layer}.0.weight_u`);
      expect(keys.filter((k) => k.startsWith("last") && k.endsWith("weight_orig"))).toEqual([]);
    }
    expect(Object.keys(G.stateDict())).toContain("last.0.weight");
    expect(Object.keys(D.stateDict())).toContain("last.weight");
    G.dispose();
    D.dispose();
  });

  it("have as many parameters as the reference SAGAN(z_dim=20, image_size=64)", () => {
    const G = createGenerator({ seed: 0 });
    const D = createDiscriminator({ seed: 0 });
    expect(G.numParameters()).toBe(counts.generator);
    expect(D.numParameters()).toBe(counts.discriminator);
    expect([G.numParameters(), D.numParameters()]).toEqual([2946099, 3173251]);
    G.dispose();
    D.dispose();
  });

  it("generate [B, 64, 64, C] images in [-1, 1] with attention maps [B, 256, 256] and [B, 1024, 1024] whose rows sum to 1", () => {
    const G = createGenerator({ width: 8, channels: 3, seed: 2 });
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 3);
    const { images, attentionMaps } = G.forward(z);
    expect(images.shape).toEqual([2, 64, 64, 3]);
    const v = images.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(attentionMaps.map((m) => m.shape)).toEqual([
      [2, 256, 256],
      [2, 1024, 1024],
    ]);
    const rowSums = tf.sum(attentionMaps[0], 2);
    expect(tf.max(tf.abs(tf.sub(rowSums, 1))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([z, images, rowSums, ...attentionMaps]);
    G.dispose();
  });

  it("score images with one logit each and attention maps [B, 64, 64] and [B, 16, 16]", () => {
    const D = createDiscriminator({ width: 8, seed: 2 });
    const x = tf.randomUniform([3, 64, 64, 1], -1, 1, "float32", 1) as tf.Tensor4D;
    const { logits, attentionMaps } = D.forward(x);
    expect(logits.shape).toEqual([3]);
    expect(attentionMaps.map((m) => m.shape)).toEqual([
      [3, 64, 64],
      [3, 16, 16],
    ]);
    tf.dispose([x, logits, ...attentionMaps]);
    D.dispose();
  });

  it("validate their inputs, naming the class", () => {
    const G = createGenerator({ width: 1 });
    const D = createDiscriminator({ width: 1 });
    const z = tf.zeros([2, 21]);
    const x = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
    expect(() => G.forward(z)).toThrow("SaganGenerator.forward: z must be [B, 20] or [B, 1, 1, 20] with B ≥ 1, got [2,21]");
    expect(() => D.forward(x)).toThrow("SaganDiscriminator.forward: images must be [B, 64, 64, 1] (NHWC), got [2,32,32,1]");
    tf.dispose([z, x]);
    G.dispose();
    D.dispose();
  });

  it("apply the reference weights_init to weight_orig and the attention convolutions by default", () => {
    const G = createGenerator({ width: 8, seed: 5 });
    const state = G.stateDict();
    const std = (t: tf.Tensor) => Math.sqrt(tf.moments(t).variance.dataSync()[0]);
    expect(std(state["layer2.0.weight_orig"])).toBeCloseTo(0.02, 2);
    expect(std(state["self_attntion1.value_conv.weight"])).toBeCloseTo(0.02, 2);
    expect(Array.from(state["self_attntion1.value_conv.bias"].dataSync()).every((b) => b === 0)).toBe(true);
    expect(state["self_attntion1.gamma"].dataSync()[0]).toBe(0);
    const P = createGenerator({ width: 8, seed: 5, init: "pytorch" });
    expect(Array.from(P.stateDict()["self_attntion1.value_conv.bias"].dataSync()).some((b) => b !== 0)).toBe(true);
    G.dispose();
    P.dispose();
  });
});
