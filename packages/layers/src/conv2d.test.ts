import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture, loadParameters } from "../test/parity";
import { Conv2d, Random } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Conv2d", () => {
  const { tensors } = loadFixture("layers_conv2d.safetensors");
  const cases: Array<[string, () => Conv2d]> = [
    ["k4s2p1", () => new Conv2d(3, 4, 4, { stride: 2, padding: 1 })],
    ["k1", () => new Conv2d(8, 2, 1, { bias: false })],
    ["k4s1p0", () => new Conv2d(4, 1, 4)],
    ["k3s2p2_odd", () => new Conv2d(2, 3, 3, { stride: 2, padding: 2 })],
  ];

  for (const [name, make] of cases) {
    it(`matches PyTorch (output and gradients): ${name}`, () => {
      const conv = make();
      loadParameters(conv, tensors, `conv2d.${name}`);
      const errors = gradientCase(conv, (x) => conv.forward(x), tensors, `conv2d.${name}`);
      expect(Object.keys(errors.grads).sort()).toEqual(name === "k1" ? ["weight", "x"] : ["bias", "weight", "x"]);
      expectParity(errors, name);
      conv.dispose();
    });
  }

  it("stores its weight in PyTorch layout and computes PyTorch's output size", () => {
    const conv = new Conv2d(3, 5, [4, 2], { stride: [2, 1], padding: [1, 0] });
    expect(conv.getParameter("weight").shape).toEqual([5, 3, 4, 2]);
    expect(conv.getParameter("bias").shape).toEqual([5]);
    const y = conv.forward(tf.zeros([2, 9, 7, 3]) as tf.Tensor4D);
    // floor((9 + 2 − 4) / 2) + 1 = 4, floor((7 − 2) / 1) + 1 = 6
    expect(y.shape).toEqual([2, 4, 6, 5]);
    tf.dispose(y);
    conv.dispose();
  });

  it("initialises weight and bias from U(±1/√(in·kH·kW)) like PyTorch, reproducibly", () => {
    const a = new Conv2d(16, 32, 3, { random: new Random(7) });
    const b = new Conv2d(16, 32, 3, { random: new Random(7) });
    const bound = 1 / Math.sqrt(16 * 9);
    const w = Array.from(a.getParameter("weight").dataSync());
    const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.95 * bound);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeCloseTo(bound / Math.sqrt(3), 3);
    const bias = a.getParameter("bias").dataSync();
    expect(bias.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Array.from(b.getParameter("weight").dataSync())).toEqual(w);
    a.dispose();
    b.dispose();
  });

  it("rejects bad options and inputs with messages naming them", () => {
    expect(() => new Conv2d(0, 4, 3)).toThrow(/inChannels must be a positive integer, got 0/);
    expect(() => new Conv2d(3, 4, 0)).toThrow(/kernelSize must be an integer ≥ 1/);
    expect(() => new Conv2d(3, 4, 3, { padding: -1 })).toThrow(/padding must be an integer ≥ 0/);
    expect(() => new Conv2d(3, 4, 3, { stride: 1.5 })).toThrow(/stride must be an integer ≥ 1/);
    const conv = new Conv2d(3, 4, 3);
    const x = tf.zeros([1, 5, 5, 4]) as tf.Tensor4D;
    expect(() => conv.forward(x)).toThrow(/Conv2d expects input \[B, H, W, 3\] \(NHWC\), got \[1,5,5,4\]/);
    tf.dispose(x);
    conv.dispose();
  });
});
