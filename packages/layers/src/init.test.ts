import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  LeakyReLU,
  Module,
  Random,
  SelfAttention2d,
  Sequential,
  constant_,
  dcganInit,
  normal_,
  spectralNorm,
  uniform_,
} from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function stats(t: tf.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.dataSync() as Float32Array);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

describe("init", () => {
  it("normal_ draws N(mean, std²) in place, reproducibly from a Random", () => {
    const v = tf.variable(tf.zeros([100, 100]));
    expect(normal_(v, 1, 0.02, new Random(1))).toBe(v);
    const s = stats(v);
    expect(s.mean).toBeCloseTo(1, 3);
    expect(s.std).toBeCloseTo(0.02, 3);
    const first = Array.from(v.dataSync());
    normal_(v, 1, 0.02, new Random(1));
    expect(Array.from(v.dataSync())).toEqual(first);
    normal_(v, 1, 0.02, new Random(2));
    expect(Array.from(v.dataSync())).not.toEqual(first);
    v.dispose();
  });

  it("uniform_ draws U[low, high) and constant_ fills, keeping the dtype", () => {
    const v = tf.variable(tf.zeros([50, 50]));
    uniform_(v, -0.5, 0.25, new Random(4));
    const s = stats(v);
    expect(s.min).toBeGreaterThanOrEqual(-0.5);
    expect(s.max).toBeLessThan(0.25);
    expect(s.mean).toBeCloseTo(-0.125, 2);
    expect(() => uniform_(v, 1, 0)).toThrow(/uniform_: low \(1\) must not exceed high \(0\)/);
    constant_(v, 3);
    expect(stats(v)).toEqual({ mean: 3, std: 0, min: 3, max: 3 });
    const count = tf.variable(tf.scalar(4, "int32"), false);
    constant_(count, 0);
    expect(count.dtype).toBe("int32");
    expect(count.dataSync()[0]).toBe(0);
    expect(() => normal_(count)).toThrow(/normal_: variable '.*' has dtype int32, expected float32/);
    tf.dispose([v, count]);
  });

  it("dcganInit applies the reference weights_init to every conv, transposed conv and BatchNorm", () => {
    const model = new Sequential(
      new ConvTranspose2d(8, 64, 4),
      new BatchNorm2d(64),
      new Sequential(new Conv2d(64, 64, 3, { padding: 1 }), new LeakyReLU(0.1)),
    );
    const bn = model.get(1) as BatchNorm2d;
    bn.getBuffer("running_var").assign(tf.fill([64], 2));
    expect(dcganInit(model, new Random(9))).toBe(model);
    const params = Object.fromEntries(model.namedParameters());
    for (const name of ["0.weight", "2.0.weight"]) {
      const s = stats(params[name] as tf.Variable);
      expect(Math.abs(s.mean), name).toBeLessThan(0.002);
      expect(s.std, name).toBeCloseTo(0.02, 3);
    }
    const w = stats(params["1.weight"] as tf.Variable);
    // 64 draws: the sample mean's standard error is 0.0025
    expect(Math.abs(w.mean - 1)).toBeLessThan(0.01);
    expect(w.std).toBeGreaterThan(0.015);
    expect(w.std).toBeLessThan(0.025);
    for (const name of ["0.bias", "1.bias", "2.0.bias"]) expect(stats(params[name] as tf.Variable).max, name).toBe(0);
    expect(stats(bn.getBuffer("running_var")).min).toBe(2); // buffers are left alone
    model.dispose();
  });

  it("dcganInit draws weight_orig of spectral-normed layers (and convs inside attention), not the computed weight", () => {
    const conv = spectralNorm(new Conv2d(32, 32, 3, { random: new Random(1) }), { random: new Random(2) });
    const attention = new SelfAttention2d(16, { random: new Random(3) });
    const before = Array.from(conv.getParameter("weight_orig").dataSync());
    const u = Array.from(conv.getBuffer("weight_u").dataSync());
    dcganInit(conv, new Random(5));
    dcganInit(attention, new Random(6));
    const orig = stats(conv.getParameter("weight_orig"));
    expect(orig.std).toBeCloseTo(0.02, 3);
    expect(Array.from(conv.getParameter("weight_orig").dataSync())).not.toEqual(before);
    expect(stats(conv.getParameter("bias")).max).toBe(0);
    expect(Array.from(conv.getBuffer("weight_u").dataSync())).toEqual(u);
    for (const [name, p] of attention.namedParameters()) {
      if (name.endsWith(".weight")) expect(stats(p).std, name).toBeCloseTo(0.02, 2);
      if (name.endsWith(".bias")) expect(stats(p).max, name).toBe(0);
    }
    conv.dispose();
    attention.dispose();
  });

  it("dcganInit recognises user modules by class name, as the reference does", () => {
    class MyConvBlock extends Module {
      readonly w = this.registerParameter("weight", tf.zeros([40, 40]));
      forward(): void {}
    }
    class Other extends Module {
      readonly w = this.registerParameter("weight", tf.zeros([4]));
      forward(): void {}
    }
    const mine = dcganInit(new MyConvBlock(), new Random(1));
    const other = dcganInit(new Other(), new Random(1));
    expect(stats(mine.w).std).toBeCloseTo(0.02, 2);
    expect(stats(other.w).max).toBe(0);
    mine.dispose();
    other.dispose();
  });
});
