import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture, loadParameters } from "../test/parity";
import { ConvTranspose2d, Random } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("ConvTranspose2d", () => {
  const { tensors } = loadFixture("layers_conv_transpose2d.safetensors");
  const cases: Array<[string, () => ConvTranspose2d, number[]]> = [
    // the reference generator's first layer: 1×1 → 4×4
    ["k4s1p0", () => new ConvTranspose2d(20, 8, 4), [2, 4, 4, 8]],
    ["k4s2p1", () => new ConvTranspose2d(6, 3, 4, { stride: 2, padding: 1 }), [2, 8, 8, 3]],
    ["k3s2p1op1", () => new ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1, bias: false }), [2, 10, 8, 2]],
    ["k4s3p1op2", () => new ConvTranspose2d(2, 3, 4, { stride: 3, padding: 1, outputPadding: 2 }), [1, 10, 10, 3]],
  ];

  for (const [name, make, outShape] of cases) {
    it(`matches PyTorch (output and gradients): ${name}`, () => {
      const conv = make();
      loadParameters(conv, tensors, `convt.${name}`);
      expect(tensors[`convt.${name}.y`]?.shape).toEqual(outShape);
      const errors = gradientCase(conv, (x) => conv.forward(x), tensors, `convt.${name}`);
      expect(Object.keys(errors.grads).length).toBe(conv.namedParameters().length + 1);
      expectParity(errors, name);
      conv.dispose();
    });
  }

  it("stores its weight as [in, out, kH, kW] and reports PyTorch's output size", () => {
    const conv = new ConvTranspose2d(5, 3, [4, 3], { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0] });
    expect(conv.getParameter("weight").shape).toEqual([5, 3, 4, 3]);
    // (6 − 1)·2 − 2 + 4 + 1 = 13, (7 − 1)·1 − 0 + 3 + 0 = 9
    expect(conv.outputSize(6, 7)).toEqual([13, 9]);
    const y = conv.forward(tf.zeros([2, 6, 7, 5]) as tf.Tensor4D);
    expect(y.shape).toEqual([2, 13, 9, 3]);
    tf.dispose(y);
    conv.dispose();
  });

  it("initialises from U(±1/√(out·kH·kW)): PyTorch's fan_in for transposed convolutions uses weight dim 1", () => {
    const conv = new ConvTranspose2d(64, 2, 4, { random: new Random(3) });
    const bound = 1 / Math.sqrt(2 * 16);
    const w = Array.from(conv.getParameter("weight").dataSync());
    const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.95 * bound);
    expect(conv.getParameter("bias").dataSync().every((v) => Math.abs(v) <= bound)).toBe(true);
    conv.dispose();
  });

  it("rejects an outputPadding not smaller than the stride, and wrong inputs", () => {
    expect(() => new ConvTranspose2d(3, 4, 4, { stride: 2, outputPadding: 2 })).toThrow(
      /outputPadding must be smaller than stride, got outputPadding \[2,2\] with stride \[2,2\]/,
    );
    const conv = new ConvTranspose2d(3, 4, 3, { padding: 3 });
    const x = tf.zeros([1, 1, 1, 3]) as tf.Tensor4D;
    expect(() => conv.forward(x)).toThrow(/empty output/);
    const wrong = tf.zeros([1, 2, 2, 5]) as tf.Tensor4D;
    expect(() => conv.forward(wrong)).toThrow(/ConvTranspose2d expects input \[B, H, W, 3\]/);
    tf.dispose([x, wrong]);
    conv.dispose();
  });
});
