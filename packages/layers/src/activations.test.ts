import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture } from "../test/parity";
import { LeakyReLU, type Module, ReLU, Tanh } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("activations", () => {
  const { tensors } = loadFixture("layers_activations.safetensors");
  const cases: Array<[string, ReLU | LeakyReLU | Tanh]> = [
    ["relu", new ReLU()],
    ["leaky0.1", new LeakyReLU(0.1)],
    ["leaky_default", new LeakyReLU()],
    ["tanh", new Tanh()],
  ];

  for (const [name, layer] of cases) {
    it(`${name} matches PyTorch (output and input gradient)`, () => {
      const errors = gradientCase(layer, (x) => layer.forward(x), tensors, `act.${name}`);
      expectParity(errors, name);
    });
  }

  it("have no parameters and keep the input's shape for any rank", () => {
    for (const [, layer] of cases) {
      expect((layer as Module).namedParameters()).toEqual([]);
      expect(Object.keys((layer as Module).stateDict())).toEqual([]);
    }
    const x = tf.tensor1d([-2, 0.5]);
    const y = new LeakyReLU(0.2).forward(x);
    expect(Array.from(y.dataSync())).toEqual([Math.fround(-0.4), 0.5]);
    expect(new LeakyReLU().negativeSlope).toBe(0.01);
    tf.dispose([x, y]);
  });

  it("LeakyReLU rejects a non-finite slope", () => {
    expect(() => new LeakyReLU(Number.NaN)).toThrow(/negativeSlope must be a finite number, got NaN/);
  });
});
