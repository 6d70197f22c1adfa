import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, get, gradientCase, loadFixture } from "../test/parity";
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, ReLU, Sequential, Tanh, relativeError } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** The model of tools/parity/make_layer_fixtures.py's sequential_fixtures. */
function fixtureModel(): Sequential {
  return new Sequential(
    new Sequential(new Conv2d(3, 4, 4, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(4), new LeakyReLU(0.1)),
    new ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }),
    new Tanh(),
  );
}

describe("Sequential", () => {
  const { tensors } = loadFixture("layers_sequential.safetensors");

  it("loads a PyTorch state dict and matches its training forward, gradients and running-stat updates", () => {
    const model = fixtureModel();
    const state = Object.fromEntries(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith("state."))
        .map(([k, v]) => [k.slice("state.".length), v]),
    );
    model.loadStateDict(state);
    const errors = gradientCase(model, (x) => model.forward(x), tensors, "seq");
    expect(Object.keys(errors.grads)).toEqual(["x", "0.0.weight", "0.1.weight", "0.1.bias", "1.weight", "1.bias"]);
    expectParity(errors, "seq");
    for (const [name, v] of model.namedBuffers()) {
      const expected = get(tensors, `seq.after.${name}`);
      if (v.dtype === "int32") expect(v.dataSync()[0], name).toBe(1);
      else expect(relativeError(v, expected), name).toBeLessThanOrEqual(1e-5);
    }
    model.dispose();
  });

  it("names its children 0, 1, ... and indexes them like Python", () => {
    const relu = new ReLU();
    const conv = new Conv2d(1, 1, 1);
    const seq = new Sequential(conv).append(relu);
    expect(seq.length).toBe(2);
    expect(seq.namedChildren().map(([n]) => n)).toEqual(["0", "1"]);
    expect(seq.get(0)).toBe(conv);
    expect(seq.get(-1)).toBe(relu);
    expect(() => seq.get(2)).toThrow(/Sequential index 2 is out of range for 2 modules/);
    seq.dispose();
  });

  it("frees the intermediate tensors of its forward", () => {
    const seq = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new ReLU(), new Tanh());
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = seq.forward(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(y.shape).toEqual([1, 4, 4, 3]);
    tf.dispose([x, y]);
    seq.dispose();
  });
});
