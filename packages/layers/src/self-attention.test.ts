import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AttentionLayer } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Random,
  SelfAttention2d,
  decodeSafetensors,
  relativeError,
} from "./index";

const FIXTURE = fileURLToPath(new URL("../fixtures/attention.safetensors", import.meta.url));
let fx: Record<string, tf.Tensor>;

beforeAll(async () => {
  await tf.setBackend("cpu");
  fx = decodeSafetensors(new Uint8Array(readFileSync(FIXTURE)), FIXTURE).tensors;
});

function get(key: string): tf.Tensor {
  const t = fx[key];
  if (!t) throw new Error(`attention.safetensors has no tensor '${key}'`);
  return t;
}

const errors: Record<string, number> = {};
afterAll(() => console.log("SelfAttention2d parity (relative errors):", errors));

function expectClose(actual: tf.Tensor, key: string, tolerance: number): void {
  const err = relativeError(actual, get(key));
  errors[key] = err;
  expect(err, key).toBeLessThanOrEqual(tolerance);
}

describe("SelfAttention2d", () => {
  it("matches the reference Self_Attention: output, attention map and every gradient", () => {
    const layer = new SelfAttention2d(16);
    const state = Object.keys(fx)
      .filter((k) => k.startsWith("state."))
      .map((k) => k.slice("state.".length));
    expect(Object.keys(layer.stateDict())).toEqual(state);
    layer.loadStateDict(Object.fromEntries(state.map((k) => [k, get(`state.${k}`)])));
    expect(layer.gamma.dataSync()[0]).toBeCloseTo(0.7, 6);

    const x = tf.variable(get("x"), true);
    let output: tf.Tensor | undefined;
    let attention: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = layer.forward(x as tf.Tensor4D);
      output = tf.keep(out.output);
      attention = tf.keep(out.attention!);
      return tf.add(tf.sum(tf.mul(out.output, get("r_out"))), tf.sum(tf.mul(out.attention!, get("r_attention")))) as tf.Scalar;
    }, [x, ...layer.parameters()]);
    if (!output || !attention) throw new Error("forward did not run");
    // x is [2, 3, 5, 16]: a non-square map, so positions must be numbered h·W + w as in PyTorch's view.
    expect(attention.shape).toEqual([2, 15, 15]);
    expectClose(output, "out", 1e-5);
    expectClose(attention, "attention", 1e-5);
    expectClose(grads[x.name], "grad.x", 1e-4);
    for (const [name, p] of layer.namedParameters()) {
      if (name === "query_conv.bias") continue;
      expectClose(grads[p.name], `grad.${name}`, 1e-4);
    }
    // The query bias adds b·kⱼ to every score of column j, which the softmax over i cancels: its gradient is
    // exactly 0, and both sides hold only rounding noise, far below the other gradients' scale (~1).
    const maxAbs = (t: tf.Tensor) => Math.max(...Array.from(t.dataSync(), Math.abs));
    expect(maxAbs(get("grad.query_conv.bias"))).toBeLessThan(1e-6);
    expect(maxAbs(grads[layer.queryConv.getParameter("bias").name])).toBeLessThan(1e-6);
    expect(Object.keys(grads)).toHaveLength(1 + 7);
    tf.dispose([x, output, attention, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it("starts as the identity (gamma = 0) with attention rows that sum to 1", () => {
    const layer = new SelfAttention2d(8, { random: new Random(1) });
    expect(layer.gamma.shape).toEqual([1]);
    expect(layer.gamma.dataSync()[0]).toBe(0);
    const x = tf.randomNormal([2, 4, 3, 8], 0, 1, "float32", 2) as tf.Tensor4D;
    const { output, attention } = layer.forward(x);
    expect(Array.from(output.dataSync())).toEqual(Array.from(x.dataSync()));
    const rowSums = tf.sum(attention!, -1);
    expect(rowSums.shape).toEqual([2, 12]);
    for (const s of rowSums.dataSync()) expect(s).toBeCloseTo(1, 5);
    tf.dispose([x, output, attention, rowSums]);
    layer.dispose();
  });

  it("attends position j to input positions i with weights softmax_i(q_i · k_j)", () => {
    // One channel, 1×1 convolutions set by hand: q = x, k = 2x, v = x (C // 8 rounds up to 1 channel).
    const layer = new SelfAttention2d(1);
    layer.loadStateDict({
      gamma: tf.tensor1d([1]),
      "query_conv.weight": tf.ones([1, 1, 1, 1]),
      "query_conv.bias": tf.zeros([1]),
      "key_conv.weight": tf.fill([1, 1, 1, 1], 2),
      "key_conv.bias": tf.zeros([1]),
      "value_conv.weight": tf.ones([1, 1, 1, 1]),
      "value_conv.bias": tf.zeros([1]),
    });
    const xs = [0.1, -0.4, 0.3, 0.8, -0.2, 0.5]; // a 2×3 map, positions h·3 + w
    const { output, attention } = layer.forward(tf.tensor4d(xs, [1, 2, 3, 1]));
    const a = attention!.dataSync();
    const out = output.dataSync();
    for (let j = 0; j < 6; j++) {
      const weights = xs.map((xi) => Math.exp(xi * 2 * xs[j]));
      const total = weights.reduce((s, e) => s + e, 0);
      for (let i = 0; i < 6; i++) expect(a[j * 6 + i]).toBeCloseTo(weights[i] / total, 6);
      const o = xs.reduce((s, xi, i) => s + (weights[i] / total) * xi, 0);
      expect(out[j]).toBeCloseTo(xs[j] + o, 6);
    }
    tf.dispose([output, attention]);
    layer.dispose();
  });

  it("has the reference's children and shapes, draws reproducibly, and is an AttentionLayer", () => {
    const layer: AttentionLayer = new SelfAttention2d(24, { random: new Random(3) });
    const shapes = Object.fromEntries(Object.entries(layer.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      gamma: [1],
      "query_conv.weight": [3, 24, 1, 1],
      "query_conv.bias": [3],
      "key_conv.weight": [3, 24, 1, 1],
      "key_conv.bias": [3],
      "value_conv.weight": [24, 24, 1, 1],
      "value_conv.bias": [24],
    });
    expect(new SelfAttention2d(4).keyChannels).toBe(1);
    const twin = new SelfAttention2d(24, { random: new Random(3) });
    expect(Array.from(twin.stateDict()["key_conv.weight"].dataSync())).toEqual(
      Array.from(layer.stateDict()["key_conv.weight"].dataSync()),
    );
    twin.dispose();
    layer.dispose();
  });

  it("rejects bad channel counts and inputs, naming them", () => {
    expect(() => new SelfAttention2d(0)).toThrow(/SelfAttention2d inChannels must be a positive integer, got 0/);
    const layer = new SelfAttention2d(8);
    const x = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    expect(() => layer.forward(x)).toThrow(/SelfAttention2d expects input \[B, H, W, 8\] \(NHWC\), got \[1,2,2,4\]/);
    tf.dispose(x);
    layer.dispose();
  });

  it("leaks no tensors over many forward + backward passes", () => {
    const layer = new SelfAttention2d(8, { random: new Random(4) });
    tf.tidy(() => layer.gamma.assign(tf.tensor1d([0.5])));
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, "float32", 5) as tf.Tensor4D;
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const { output, attention } = layer.forward(x);
        return tf.add(tf.sum(tf.square(output)), tf.sum(attention!)) as tf.Scalar;
      }, layer.parameters());
      tf.dispose([value, ...Object.values(grads)]);
      const out = layer.forward(x);
      tf.dispose([out.output, out.attention]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    layer.dispose();
  });
});

describe("forward(x, { attentionMaps })", () => {
  it("leaves the map out with attentionMaps: false and computes the same output and gradients", () => {
    const layer = new SelfAttention2d(16, { random: new Random(6) });
    tf.tidy(() => layer.gamma.assign(tf.tensor1d([0.4])));
    const x = tf.variable(tf.randomNormal([2, 3, 5, 16], 0, 1, "float32", 7), true);
    const vars = [x, ...layer.parameters()];
    const run = (options?: { attentionMaps?: boolean }) => {
      let hasMap = false;
      const result = tf.variableGrads(() => {
        const out = layer.forward(x as tf.Tensor4D, options);
        hasMap = out.attention !== undefined;
        return tf.sum(tf.square(out.output)) as tf.Scalar;
      }, vars);
      return { ...result, hasMap };
    };
    const byDefault = run();
    const withMap = run({ attentionMaps: true });
    const without = run({ attentionMaps: false });
    expect(byDefault.hasMap).toBe(true);
    expect(withMap.hasMap).toBe(true);
    expect(without.hasMap).toBe(false);
    // No fused kernel on the cpu backend: the same ops, so the same bits.
    expect(without.value.dataSync()).toEqual(withMap.value.dataSync());
    for (const v of vars) expect(without.grads[v.name].dataSync()).toEqual(withMap.grads[v.name].dataSync());
    const all = [byDefault, withMap, without].flatMap((r) => [r.value, ...Object.values(r.grads)]);
    tf.dispose([x, ...all]);
    layer.dispose();
  });
});
