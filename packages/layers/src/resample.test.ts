import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture } from "../test/parity";
import { AvgPool2d, Upsample2d } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Upsample2d and AvgPool2d", () => {
  const { tensors } = loadFixture("layers_resample.safetensors");

  for (const [name, layer] of [
    ["up.bilinear2", new Upsample2d(2)],
    ["up.bilinear2_1px", new Upsample2d()],
    ["pool.avg2", new AvgPool2d(2)],
  ] as const) {
    it(`${name} matches PyTorch (output and input gradient)`, () => {
      const errors = gradientCase(layer, (x) => layer.forward(x as tf.Tensor4D), tensors, name);
      expectParity(errors, name);
    });
  }

  it("have no parameters; pooling the upsampled image is the identity at the inner pixels", () => {
    const up = new Upsample2d(2);
    const pool = new AvgPool2d(2);
    expect(up.namedParameters()).toEqual([]);
    expect(pool.namedParameters()).toEqual([]);
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 3, 1]);
    const y = up.forward(x);
    expect(y.shape).toEqual([1, 6, 6, 1]);
    // Row 0 of the output: 0, 0.25, 0.75, 1.25, 1.75, 2 (edges clamped).
    expect(Array.from(y.dataSync().slice(0, 6))).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2]);
    const back = pool.forward(y);
    expect(back.shape).toEqual([1, 3, 3, 1]);
    expect(back.dataSync()[4]).toBeCloseTo(4, 6);
    tf.dispose([x, y, back]);
  });

  it("reject bad sizes and inputs, naming the layer", () => {
    expect(() => new Upsample2d(1.5)).toThrow(/Upsample2d scaleFactor must be a positive integer, got 1.5/);
    expect(() => new AvgPool2d(0)).toThrow(/AvgPool2d kernelSize must be a positive integer, got 0/);
    const x = tf.zeros([1, 1, 3, 1]) as tf.Tensor4D;
    expect(() => new AvgPool2d(2).forward(x)).toThrow(/AvgPool2d\(2\) expects input \[B, H, W, C\] with H, W ≥ 2, got \[1,1,3,1\]/);
    expect(() => new Upsample2d().forward(tf.zeros([2, 2]) as unknown as tf.Tensor4D)).toThrow(/Upsample2d expects input \[B, H, W, C\], got \[2,2\]/);
    x.dispose();
  });
});
