import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture, loadParameters } from "../test/parity";
import { Conv2d, PackSamples, Sequential } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("PackSamples", () => {
  const { tensors } = loadFixture("layers_pack.safetensors");

  for (const [name, pack] of [
    ["pack.p2", 2],
    ["pack.p4", 4],
    ["pack.odd", 2],
    ["pack.short", 4],
  ] as const) {
    it(`${name} matches PyTorch (output and input gradient)`, () => {
      const layer = new PackSamples({ pack });
      expectParity(gradientCase(layer, (x) => layer.forward(x as tf.Tensor4D), tensors, name), name);
    });
  }

  it("pack.conv: packing then a convolution over the packed channels matches PyTorch, weights' gradients included", () => {
    const model = new Sequential(new PackSamples({ pack: 2 }), new Conv2d(6, 4, 4, { stride: 2, padding: 1 }));
    loadParameters(model, tensors, "pack.conv");
    const errors = gradientCase(model, (x) => model.forward(x), tensors, "pack.conv");
    expect(Object.keys(errors.grads)).toEqual(["x", "1.weight", "1.bias"]);
    expectParity(errors, "pack.conv");
    model.dispose();
  });

  it("stacks consecutive samples along the channels and gives each sample its pack's value back", () => {
    // Sample n holds the value n everywhere, over two channels (n and n + 0.5).
    const x = tf.tidy(() => {
      const n = tf.reshape(tf.range(0, 5), [5, 1, 1, 1]);
      return tf.tile(tf.concat([n, tf.add(n, 0.5)], 3), [1, 2, 2, 1]) as tf.Tensor4D;
    });
    const layer = new PackSamples({ pack: 2 });
    const packed = layer.forward(x);
    expect(packed.shape).toEqual([3, 2, 2, 4]);
    // Pack 2 is sample 4 completed with sample 0, the batch's first.
    expect(Array.from(tf.slice(packed, [0, 0, 0, 0], [3, 1, 1, 4]).dataSync())).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 0, 0.5]);
    const perPack = tf.tensor1d([10, 20, 30]);
    const back = layer.unpack(perPack, 5);
    expect(Array.from(back.dataSync())).toEqual([10, 10, 20, 20, 30]);
    const maps = layer.unpack(tf.reshape(tf.range(0, 12), [3, 2, 2]), 6);
    expect(maps.shape).toEqual([6, 2, 2]);
    expect(Array.from(tf.slice(maps, [3, 0, 0], [1, 2, 2]).dataSync())).toEqual([4, 5, 6, 7]);
    expect(layer.namedParameters()).toEqual([]);
    tf.dispose([x, packed, perPack, back, maps]);
  });

  it("names bad options and inputs", () => {
    expect(() => new PackSamples({ pack: 1 })).toThrow(/PackSamples option 'pack' must be an integer >= 2, got 1/);
    expect(() => new PackSamples({ pack: 2.5 })).toThrow(/got 2.5/);
    expect(() => new PackSamples({ pack: 2 }).forward(tf.zeros([2, 3]) as unknown as tf.Tensor4D)).toThrow(/expects input \[B, H, W, C\], got \[2,3\]/);
    expect(() => new PackSamples({ pack: 2 }).unpack(tf.zeros([2]), 5)).toThrow(/expected 3 packs for a batch of 5, got 2/);
  });
});
