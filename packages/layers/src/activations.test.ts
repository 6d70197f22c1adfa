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

describe("ReLU and LeakyReLU keep their output, not their input, for the backward pass", () => {
  const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3, -1e-30, 7]);
  const dy = tf.tensor1d([0.3, -1.2, 0.7, 2, -0.4, 1.1, 0.9]);
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
  /** Distinct full-size buffers the tape keeps for one call of `f` (saved tensors may share one). */
  const kept = (f: (v: tf.Tensor) => tf.Tensor) => {
    const engine = tf.engine() as unknown as { state: { activeTape: Array<{ saved?: tf.Tensor[] }> | null } };
    const v = tf.variable(x);
    const buffers = new Set<object>();
    tf.variableGrads(() => {
      const y = tf.sum(f(v)) as tf.Scalar;
      for (const node of engine.state.activeTape ?? []) for (const t of node.saved ?? []) if (t.size === x.size) buffers.add(t.dataId);
      return y;
    }, [v]);
    v.dispose();
    return buffers.size;
  };

  for (const [name, layer, stock] of [
    ["ReLU", new ReLU(), (v: tf.Tensor) => tf.relu(v)],
    ["LeakyReLU(0.1)", new LeakyReLU(0.1), (v: tf.Tensor) => tf.leakyRelu(v, 0.1)],
    ["LeakyReLU(0)", new LeakyReLU(0), (v: tf.Tensor) => tf.leakyRelu(v, 0)],
    ["LeakyReLU(-0.5)", new LeakyReLU(-0.5), (v: tf.Tensor) => tf.leakyRelu(v, -0.5)],
  ] as const) {
    it(`${name}: the same output and gradient bits as tfjs's op`, () => {
      const [ours, theirs] = [(v: tf.Tensor) => layer.forward(v), stock].map((f) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy))));
      expect(bits(layer.forward(x))).toEqual(bits(stock(x)));
      expect(bits(ours(x))).toEqual(bits(theirs(x)));
    });
  }

  it("so an activation after another op leaves that op's output free", () => {
    // v (kept by mul) and the activation's output (kept by sum, and now by the activation too); tfjs's ops also keep
    // mul's output.
    expect(kept((v) => new ReLU().forward(tf.mul(v, 2)))).toBe(2);
    expect(kept((v) => tf.relu(tf.mul(v, 2)))).toBe(3);
    expect(kept((v) => new LeakyReLU(0.1).forward(tf.mul(v, 2)))).toBe(2);
    expect(kept((v) => tf.leakyRelu(tf.mul(v, 2), 0.1))).toBe(3);
  });
});
