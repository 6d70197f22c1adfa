import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AvgPool2d,
  type FlexibleSaganDiscriminator,
  type FlexibleSaganGenerator,
  type Sequential,
  Upsample2d,
  createDiscriminator,
  createGenerator,
} from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe("workingSize 32", () => {
  it("the generator drops layer4, draws 32×32 from layer3's 2w channels and upsamples to 64×64", () => {
    const G = createGenerator({ width: 4, seed: 1, workingSize: 32, attentionAfter: [3] }) as FlexibleSaganGenerator;
    expect(G.workingSize).toBe(32);
    expect(G.layer4).toBeUndefined();
    const keys = Object.keys(G.stateDict());
    expect(keys.some((k) => k.startsWith("layer4"))).toBe(false);
    expect(G.stateDict()["last.0.weight"].shape).toEqual([8, 1, 4, 4]);
    const z = tf.randomNormal([3, 20], 0, 1, "float32", 5);
    G.eval();
    const { images, attentionMaps } = G.forward(z);
    expect(images.shape).toEqual([3, 64, 64, 1]);
    expect(attentionMaps.map((m) => m.shape)).toEqual([[3, 256, 256]]);
    // The same composition by hand: layers 1-3, attention, last, then 2× bilinear upsampling.
    const manual = tf.tidy(() => {
      let x = tf.reshape(z, [3, 1, 1, 20]) as tf.Tensor4D;
      x = (G.layer3 as Sequential).forward(G.layer2.forward(G.layer1.forward(x)));
      x = (G.attentions.get(3) as { forward(x: tf.Tensor4D): { output: tf.Tensor4D } }).forward(x).output;
      const small = G.last.forward(x);
      expect(small.shape).toEqual([3, 32, 32, 1]);
      return new Upsample2d(2).forward(small);
    });
    expect(maxAbs(images, manual)).toBe(0);
    tf.dispose([z, images, manual, ...attentionMaps]);
    G.dispose();
  });

  it("the discriminator drops layer1: it averages 2×2 blocks of the 64×64 input and layer2 reads the image channels", () => {
    const D = createDiscriminator({ width: 4, channels: 3, seed: 2, workingSize: 32, attentionAfter: [3] }) as FlexibleSaganDiscriminator;
    expect(D.workingSize).toBe(32);
    expect(D.layer1).toBeUndefined();
    expect(Object.keys(D.stateDict()).some((k) => k.startsWith("layer1"))).toBe(false);
    expect(D.stateDict()["layer2.0.weight_orig"].shape).toEqual([8, 3, 4, 4]);
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, "float32", 6) as tf.Tensor4D;
    D.eval();
    const { logits, attentionMaps } = D.forward(x);
    expect(logits.shape).toEqual([2]);
    expect(attentionMaps.map((m) => m.shape)).toEqual([[2, 64, 64]]);
    const manual = tf.tidy(() => {
      let h = D.layer2.forward(new AvgPool2d(2).forward(x));
      h = (D.attentions.get(3) as { forward(x: tf.Tensor4D): { output: tf.Tensor4D } }).forward(D.layer3.forward(h)).output;
      return tf.reshape(D.last.forward(D.layer4.forward(h)), [2]);
    });
    expect(maxAbs(logits, manual)).toBe(0);
    tf.dispose([x, logits, manual, ...attentionMaps]);
    D.dispose();
  });

  it("gradients reach every parameter of both nets, through the upsampling and the pooling; fewer parameters than at 64", () => {
    const G = createGenerator({ width: 4, seed: 3, workingSize: 32, attentionAfter: [3] });
    const D = createDiscriminator({ width: 4, seed: 4, workingSize: 32, attentionAfter: [] });
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 7);
    const { value, grads } = tf.variableGrads(() => tf.mean<tf.Scalar>(D.forward(G.forward(z).images).logits), [...G.parameters(), ...D.parameters()]);
    expect(Object.keys(grads)).toHaveLength(G.parameters().length + D.parameters().length);
    // Through the upsampling into G's last layer, and through the pooling into D's first.
    const nonZero = (m: { getParameter(n: string): tf.Variable }, n: string) => tf.max(tf.abs(grads[m.getParameter(n).name])).dataSync()[0];
    expect(nonZero(G.last.get(0), "weight")).toBeGreaterThan(0);
    expect(nonZero(G.layer1.get(0), "weight_orig")).toBeGreaterThan(0);
    expect(nonZero(D.layer2.get(0), "weight_orig")).toBeGreaterThan(0);
    const full = createGenerator({ width: 4, seed: 3, attentionAfter: [3] });
    expect(G.numParameters()).toBeLessThan(full.numParameters());
    tf.dispose([z, value, ...Object.values(grads)]);
    for (const m of [G, D, full]) m.dispose();
  });

  it("rejects other sizes and attention on the layers it drops, naming the option", () => {
    expect(() => createGenerator({ width: 2, workingSize: 48 as 32 })).toThrow(/SaganGenerator: option 'workingSize' must be 32 or 64, got 48/);
    expect(() => createGenerator({ width: 2, workingSize: 32 })).toThrow(/SaganGenerator: option 'attentionAfter' cannot include 4 with workingSize 32/);
    expect(() => createDiscriminator({ width: 2, workingSize: 32, attentionAfter: [1] })).toThrow(
      /SaganDiscriminator: option 'attentionAfter' cannot include 1 with workingSize 32/,
    );
    const D = createDiscriminator({ width: 2, workingSize: 32 }); // the default [3, 4] is fine for D
    D.dispose();
  });
});
