import "@tensorflow/tfjs-backend-cpu";
import type { AttentionLayer, AttentionOutput } from "@gan/spec";
import { hingeLoss } from "@gan/losses";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Conv2d, Module, type Random, type Sequential, createDiscriminator, createGenerator } from "./index";

/** A user-defined attention: a learnt per-pixel sigmoid gate from a 1×1 convolution, `x + scale·gate·x`. */
class GatedConvAttention extends Module implements AttentionLayer {
  readonly gate: Conv2d;
  readonly scale: tf.Variable;

  constructor(channels: number, random: Random) {
    super();
    this.gate = this.registerModule("gate", new Conv2d(channels, 1, 1, { random }));
    this.scale = this.registerParameter("scale", tf.fill([1], 0.5));
  }

  forward(x: tf.Tensor4D): AttentionOutput {
    return tf.tidy(() => {
      const gate = tf.sigmoid(this.gate.forward(x));
      return { output: tf.add(x, tf.mul(this.scale, tf.mul(gate, x))) as tf.Tensor4D };
    });
  }
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SAGAN plugin slots", () => {
  it("attention: a user-defined module takes the self-attention's place, trains, and is initialised like the rest", () => {
    const attention = (channels: number, random: Random) => new GatedConvAttention(channels, random);
    const G = createGenerator({ width: 2, seed: 1, attention });
    const D = createDiscriminator({ width: 2, seed: 2, attention });
    expect(Object.keys(G.stateDict())).toContain("self_attntion1.gate.weight");
    expect(Object.keys(D.stateDict())).toContain("self_attntion2.scale");
    expect(Object.keys(G.stateDict()).some((k) => k.includes("query_conv"))).toBe(false);
    // weights_init reaches the user's convolution too (Conv2d's own default bias is not zero).
    expect(G.stateDict()["self_attntion1.gate.bias"].dataSync()[0]).toBe(0);

    const z = tf.randomNormal([2, 20], 0, 1, "float32", 1);
    const loss = hingeLoss();
    const { value, grads } = tf.variableGrads(() => {
      const fake = G.forward(z);
      expect(fake.attentionMaps).toEqual([]); // this attention has no map to report
      const scored = D.forward(fake.images);
      return loss.generatorLoss(scored.logits);
    }, G.parameters());
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const gateGrad = grads[(G.attentions.get(3) as GatedConvAttention).gate.getParameter("weight").name];
    expect(tf.max(tf.abs(gateGrad)).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.abs(grads[(G.attentions.get(4) as GatedConvAttention).scale.name]).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([z, value, ...Object.values(grads)]);
    G.dispose();
    D.dispose();
  });

  it("normalize: the identity turns spectral norm off, with the same parameter count and plain weights", () => {
    const plain = createDiscriminator({ width: 2, seed: 3, normalize: (layer) => layer });
    const normed = createDiscriminator({ width: 2, seed: 3 });
    const keys = Object.keys(plain.stateDict());
    expect(keys).toContain("layer1.0.weight");
    expect(keys.some((k) => k.endsWith("weight_orig") || k.endsWith("weight_u"))).toBe(false);
    expect(plain.numParameters()).toBe(normed.numParameters());

    const x = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 4) as tf.Tensor4D;
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = plain.forward(x);
      return tf.mean<tf.Scalar>(logits);
    }, plain.parameters());
    expect(Object.keys(grads)).toHaveLength(plain.parameters().length);
    expect(tf.max(tf.abs(grads[(plain.layer1 as Sequential).get(0).getParameter("weight").name])).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, value, ...Object.values(grads)]);
    plain.dispose();
    normed.dispose();
  });

  it("normalize: the slot sees every convolution but the last, and its result is what runs", () => {
    const seen: string[] = [];
    const G = createGenerator({
      width: 2,
      normalize: (layer) => {
        seen.push(layer.constructor.name);
        return layer;
      },
    });
    expect(seen).toEqual(["ConvTranspose2d", "ConvTranspose2d", "ConvTranspose2d", "ConvTranspose2d"]);
    G.dispose();
  });

  it("attentionAfter: picks the layers followed by attention, named self_attntion1, 2, ... in layer order", () => {
    const G = createGenerator({ width: 8, seed: 5, attentionAfter: [2, 1] });
    const keys = Object.keys(G.stateDict());
    expect(keys.indexOf("self_attntion1.gamma")).toBeLessThan(keys.indexOf("layer2.0.weight_orig"));
    expect(keys.indexOf("self_attntion2.gamma")).toBeGreaterThan(keys.indexOf("layer2.1.num_batches_tracked"));
    expect([...G.attentions.keys()]).toEqual([1, 2]);
    const z = tf.randomNormal([1, 20], 0, 1, "float32", 1);
    const { images, attentionMaps } = G.forward(z);
    expect(attentionMaps.map((m) => m.shape)).toEqual([
      [1, 16, 16],
      [1, 64, 64],
    ]);
    tf.dispose([z, images, ...attentionMaps]);
    G.dispose();

    const D = createDiscriminator({ width: 2, attentionAfter: [] });
    expect(Object.keys(D.stateDict()).some((k) => k.startsWith("self_attntion"))).toBe(false);
    D.dispose();
  });

  it.each([
    ["layer 0", { attentionAfter: [0] }, "option 'attentionAfter' must list distinct layers among 1, 2, 3, 4, got [0]"],
    ["a repeated layer", { attentionAfter: [3, 3] }, "option 'attentionAfter' must list distinct layers among 1, 2, 3, 4, got [3,3]"],
    ["a non-function attention", { attention: "self" }, "option 'attention' must be a function, got string"],
    ["normalize returning a non-module", { normalize: () => ({}) }, "option 'normalize' must return a Module, got object"],
    ["attention returning a non-module", { attention: () => ({}) }, "option 'attention' must return a Module with forward(x) → { output, attention? }"],
    ["a misspelt option", { attentions: [3] }, "unknown option 'attentions'"],
  ])("rejects %s", (_, config, message) => {
    expect(() => createGenerator({ width: 1, ...(config as object) })).toThrow(`SaganGenerator: ${message}`);
  });
});
