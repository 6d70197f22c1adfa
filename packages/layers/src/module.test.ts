import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../test/parity";
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, Module, Sequential, Tanh } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** The nested model of tools/parity/make_layer_fixtures.py, whose PyTorch names the fixture's metadata lists. */
function fixtureModel(): Sequential {
  return new Sequential(
    new Sequential(new Conv2d(3, 4, 4, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(4), new LeakyReLU(0.1)),
    new ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }),
    new Tanh(),
  );
}

/** A custom module with its own parameter and buffer beside children, as `Self_Attention` has `gamma`. */
class Block extends Module {
  readonly conv = this.registerModule("conv", new Conv2d(2, 2, 1));
  readonly scale = this.registerParameter("scale", tf.ones([1]));
  readonly steps = this.registerBuffer("steps", tf.scalar(0, "int32"));
  readonly norm = this.registerModule("norm", new BatchNorm2d(2));

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.norm.forward(tf.mul(this.conv.forward(x), this.scale)));
  }
}

function snapshot(m: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]));
}

describe("Module", () => {
  const { tensors, metadata } = loadFixture("layers_sequential.safetensors");
  const pytorchNames = (key: string): string[] => JSON.parse(metadata[key] ?? "null");

  it("names and orders parameters, buffers and the state dict exactly as PyTorch does", () => {
    const model = fixtureModel();
    expect(Object.keys(model.stateDict())).toEqual(pytorchNames("state_dict_keys"));
    expect(model.namedParameters().map(([n]) => n)).toEqual(pytorchNames("named_parameters"));
    expect(model.namedBuffers().map(([n]) => n)).toEqual(pytorchNames("named_buffers"));
    for (const [name, v] of Object.entries(model.stateDict())) {
      expect(v.shape, name).toEqual(tensors[`state.${name}`]?.shape);
    }
    expect(model.numParameters()).toBe(3 * 4 * 16 + 4 + 4 + 4 * 2 * 16 + 2);
    model.dispose();
  });

  it("orders a module's own parameters, then its buffers, then its children in the state dict", () => {
    const block = new Block();
    expect(Object.keys(block.stateDict())).toEqual([
      "scale",
      "steps",
      "conv.weight",
      "conv.bias",
      "norm.weight",
      "norm.bias",
      "norm.running_mean",
      "norm.running_var",
      "norm.num_batches_tracked",
    ]);
    expect(block.namedParameters().map(([n]) => n)).toEqual(["scale", "conv.weight", "conv.bias", "norm.weight", "norm.bias"]);
    expect(block.parameters().every((p) => p.trainable)).toBe(true);
    expect(block.namedBuffers().every(([, b]) => !b.trainable)).toBe(true);
    block.dispose();
  });

  it("propagates train() and eval() to every descendant", () => {
    const model = fixtureModel();
    const modes = () => model.namedModules().map(([, m]) => m.training);
    expect(modes().every((t) => t)).toBe(true);
    expect(model.eval()).toBe(model);
    expect(modes().every((t) => !t)).toBe(true);
    model.train();
    expect(modes().every((t) => t)).toBe(true);
    model.train(false);
    expect(modes().every((t) => !t)).toBe(true);
    expect(model.namedModules().map(([n]) => n)).toEqual(["", "0", "0.0", "0.1", "0.2", "1", "2"]);
    model.dispose();
  });

  it("loads a state dict, casting whole float32 counters to int32", () => {
    const a = new Block();
    const b = new Block();
    // tf.add(int32, 5) is float32: the counters arrive as whole float32 values and are cast.
    const state = tf.tidy(() =>
      Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, tf.add(v, v.dtype === "int32" ? 5 : 0.5)])),
    );
    expect(state.steps?.dtype).toBe("float32");
    b.loadStateDict(state);
    a.loadStateDict(state);
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(snapshot(b).scale).toEqual([1.5]);
    expect(b.getBuffer("steps").dtype).toBe("int32");
    expect(b.getBuffer("steps").dataSync()[0]).toBe(5);
    tf.dispose(Object.values(state));
    a.dispose();
    b.dispose();
  });

  it("reports every missing, unexpected and mis-shaped key at once and changes nothing", () => {
    const block = new Block();
    const before = snapshot(block);
    const state: Record<string, tf.Tensor> = tf.tidy(() => {
      const s: Record<string, tf.Tensor> = {};
      for (const [k, v] of Object.entries(block.stateDict())) s[k] = tf.add(v, 1);
      return s;
    });
    const dropped = state["conv.bias"] as tf.Tensor;
    delete state["conv.bias"];
    const wrong = state["norm.weight"] as tf.Tensor;
    state["norm.weight"] = tf.zeros([3]);
    state["norm.extra"] = tf.zeros([1]);
    let message = "";
    try {
      block.loadStateDict(state);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("Error loading state dict into Block");
    expect(message).toContain("missing key 'conv.bias' (expected shape [2])");
    expect(message).toContain("'norm.weight' has shape [3], expected [2]");
    expect(message).toContain("unexpected key 'norm.extra'");
    expect(snapshot(block)).toEqual(before);

    // Not strict: missing and unexpected keys are allowed, a shape mismatch is still an error.
    expect(() => block.loadStateDict(state, { strict: false })).toThrow(/'norm.weight' has shape \[3\], expected \[2\]/);
    expect(snapshot(block)).toEqual(before);
    state["norm.weight"] = wrong;
    block.loadStateDict(state, { strict: false });
    expect(snapshot(block)["conv.bias"]).toEqual(before["conv.bias"]);
    expect(snapshot(block).scale).toEqual([2]);
    tf.dispose([dropped, ...Object.values(state)]);
    block.dispose();
  });

  it("rejects tensors of the wrong dtype and non-finite values, naming the key, and changes nothing", () => {
    const block = new Block();
    const before = snapshot(block);
    const state: Record<string, tf.Tensor> = tf.tidy(() => ({ ...block.stateDict() }));
    state["conv.weight"] = tf.ones([2, 2, 1, 1], "int32");
    state.steps = tf.scalar(2.5);
    state["norm.bias"] = tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY]);
    state["norm.running_var"] = tf.tensor1d([1, Number.NEGATIVE_INFINITY]);
    expect(() => block.loadStateDict(state)).toThrow(
      [
        "Error loading state dict into Block:",
        "  'steps' has dtype float32 with a value that is no int32 integer (2.5), expected int32",
        "  'conv.weight' has dtype int32, expected float32",
        "  'norm.bias' has 2 non-finite values (NaN or ±Inf)",
        "  'norm.running_var' has 1 non-finite value (NaN or ±Inf)",
      ].join("\n"),
    );
    expect(snapshot(block)).toEqual(before);
    // A program's own saved state may be put back as it is.
    const own = tf.tidy(() => ({ ...block.stateDict(), "norm.bias": tf.tensor1d([Number.NaN, 1]) }));
    block.loadStateDict(own, { finite: false });
    expect(snapshot(block)["norm.bias"]).toEqual([Number.NaN, 1]);
    tf.dispose([own["norm.bias"], state["conv.weight"], state.steps, state["norm.bias"], state["norm.running_var"]] as tf.Tensor[]);
    block.dispose();
  });

  it("reports keys such as __proto__ and constructor as unexpected, never ignoring them", () => {
    const block = new Block();
    const t = tf.zeros([1]);
    for (const key of ["__proto__", "constructor", "toString"]) {
      const state: Record<string, tf.Tensor> = Object.create(null);
      Object.assign(state, block.stateDict());
      state[key] = t;
      expect(() => block.loadStateDict(state), key).toThrow(`unexpected key '${key}'`);
      const plain = { ...block.stateDict() };
      Object.defineProperty(plain, key, { value: t, enumerable: true });
      expect(() => block.loadStateDict(plain), key).toThrow(`unexpected key '${key}'`);
    }
    // A state without the module's keys never picks them up from Object.prototype.
    expect(() => block.loadStateDict({})).toThrow("missing key 'conv.weight'");
    t.dispose();
    block.dispose();
  });

  it("rejects duplicate and dotted names, and unknown lookups", () => {
    const block = new Block();
    const t = tf.zeros([1]);
    expect(() => block.registerParameter("scale", t)).toThrow(/Block already has a member named 'scale'/);
    expect(() => block.registerBuffer("a.b", t)).toThrow(/Invalid name 'a.b'/);
    expect(() => block.getParameter("nope")).toThrow(/Block has no parameter 'nope'/);
    expect(() => block.getBuffer("nope")).toThrow(/Block has no buffer 'nope'/);
    tf.dispose(t);
    block.dispose();
  });

  it("apply() visits every module and dispose() frees every variable", () => {
    const before = tf.memory().numTensors;
    const model = fixtureModel();
    const visited: string[] = [];
    model.apply((m) => visited.push(m.constructor.name));
    expect(visited).toEqual(["Sequential", "Sequential", "Conv2d", "BatchNorm2d", "LeakyReLU", "ConvTranspose2d", "Tanh"]);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
