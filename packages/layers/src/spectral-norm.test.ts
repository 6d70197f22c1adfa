import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conv2d, ConvTranspose2d, Random, type WeightedModule, decodeSafetensors, relativeError, spectralNorm } from "./index";

const FIXTURE = fileURLToPath(new URL("../fixtures/spectral-norm.safetensors", import.meta.url));
let fx: Record<string, tf.Tensor>;

beforeAll(async () => {
  await tf.setBackend("cpu");
  fx = decodeSafetensors(new Uint8Array(readFileSync(FIXTURE)), FIXTURE).tensors;
});

function get(key: string): tf.Tensor {
  const t = fx[key];
  if (!t) throw new Error(`spectral-norm.safetensors has no tensor '${key}'`);
  return t;
}

const errors: Record<string, number> = {};
afterAll(() => {
  const worst = (suffix: RegExp) =>
    Object.entries(errors)
      .filter(([k]) => suffix.test(k))
      .sort((a, b) => b[1] - a[1])[0];
  console.log("spectralNorm parity, largest forward error:", worst(/^(?!.*\.grad_)/), "largest gradient error:", worst(/\.grad_/));
});

/** Asserts `relativeError(actual, fixture[key]) ≤ tolerance`, reshaping 0-d values to the fixture's shape. */
function expectClose(actual: tf.Tensor, key: string, tolerance: number): void {
  const expected = get(key);
  const err = tf.tidy(() => relativeError(actual.rank === 0 ? tf.reshape(actual, expected.shape) : actual, expected));
  errors[key] = err;
  expect(err, key).toBeLessThanOrEqual(tolerance);
}

/**
 * Runs one training forward per `x_i` under one tape: the outputs, and the gradients of `sum_i sum(y_i · r_i)`
 * w.r.t. each x_i, `weight_orig` and (when present) `bias`.
 */
function lossAndGrads(layer: WeightedModule & { forward(x: tf.Tensor4D): tf.Tensor4D }, xs: tf.Tensor[], rs: tf.Tensor[]) {
  const inputs = xs.map((x) => tf.variable(x, true));
  const params = layer.parameters();
  const outputs: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const terms = inputs.map((x, i) => {
      const y = tf.keep(layer.forward(x as tf.Tensor4D));
      outputs.push(y);
      return tf.sum(tf.mul(y, rs[i]));
    });
    return tf.addN(terms) as tf.Scalar;
  }, [...inputs, ...params]);
  const byName: Record<string, tf.Tensor> = {};
  inputs.forEach((x, i) => {
    byName[`grad_x${i}`] = grads[x.name];
  });
  for (const [name, p] of layer.namedParameters()) byName[`grad_${name}`] = grads[p.name];
  tf.dispose([value, ...inputs]);
  return { outputs, grads: byName };
}

const CASES: Array<[string, () => WeightedModule & { forward(x: tf.Tensor4D): tf.Tensor4D }, number]> = [
  ["conv", () => new Conv2d(3, 5, 3, { stride: 2, padding: 1 }), 1],
  ["convt", () => new ConvTranspose2d(4, 3, 4, { stride: 2, padding: 1 }), 1],
  ["conv_n3", () => new Conv2d(4, 6, 2, { bias: false }), 3],
];

describe.each(CASES)("spectralNorm parity with PyTorch: %s", (name, make, nPowerIterations) => {
  it("has PyTorch's state dict, forwards, u, v, weight and gradients", () => {
    const layer = spectralNorm(make(), { nPowerIterations });
    const init = Object.keys(fx)
      .filter((k) => k.startsWith(`${name}.init.`))
      .map((k) => k.slice(`${name}.init.`.length));
    expect(Object.keys(layer.stateDict())).toEqual(init);
    layer.loadStateDict(Object.fromEntries(init.map((k) => [k, get(`${name}.init.${k}`)])));

    for (let k = 0; k < 3; k++) {
      const y = layer.forward(get(`${name}.x${k}`) as tf.Tensor4D);
      expectClose(y, `${name}.step${k}.out`, 1e-5);
      expectClose(layer.getBuffer("weight_u"), `${name}.step${k}.weight_u`, 1e-5);
      expectClose(layer.getBuffer("weight_v"), `${name}.step${k}.weight_v`, 1e-5);
      // In eval mode weight() is weight_orig / σ(stored u, v): the weight this training forward used.
      layer.eval();
      const w = layer.weight();
      expectClose(w, `${name}.step${k}.weight`, 1e-5);
      layer.train();
      tf.dispose([y, w]);
    }

    layer.eval();
    const yEval = layer.forward(get(`${name}.x_eval`) as tf.Tensor4D);
    expectClose(yEval, `${name}.eval.out`, 1e-5);
    expectClose(layer.getBuffer("weight_u"), `${name}.eval.weight_u`, 1e-5);
    layer.train();
    tf.dispose(yEval);

    for (const [run, count] of [
      ["grad1", 1],
      ["grad2", 2],
    ] as const) {
      const idx = Array.from({ length: count }, (_, i) => i);
      const { outputs, grads } = lossAndGrads(
        layer,
        idx.map((i) => get(`${name}.${run}.x${i}`)),
        idx.map((i) => get(`${name}.${run}.r${i}`)),
      );
      for (const i of idx) expectClose(outputs[i], `${name}.${run}.out${i}`, 1e-5);
      const expectedGrads = Object.keys(fx)
        .filter((k) => k.startsWith(`${name}.${run}.grad_`))
        .map((k) => k.slice(`${name}.${run}.`.length));
      expect(Object.keys(grads).sort()).toEqual(expectedGrads.sort());
      for (const g of expectedGrads) expectClose(grads[g], `${name}.${run}.${g}`, 1e-4);
      expectClose(layer.getBuffer("weight_u"), `${name}.${run}.weight_u`, 1e-5);
      expectClose(layer.getBuffer("weight_v"), `${name}.${run}.weight_v`, 1e-5);
      tf.dispose([...outputs, ...Object.values(grads)]);
    }
    layer.dispose();
  });
});

/** The largest singular value of `m` (`rows × cols`, row-major) by 500 power iterations in float64. */
function topSingularValue(m: Float32Array | Int32Array | Uint8Array, rows: number, cols: number): number {
  let v = Array.from({ length: cols }, (_, i) => 1 + i / cols);
  let sigma = 0;
  for (let it = 0; it < 500; it++) {
    const u = Array.from({ length: rows }, (_, r) => v.reduce((s, vc, c) => s + m[r * cols + c] * vc, 0));
    const w = Array.from({ length: cols }, (_, c) => u.reduce((s, ur, r) => s + m[r * cols + c] * ur, 0));
    const norm = Math.hypot(...w);
    sigma = Math.sqrt(norm);
    v = w.map((x) => x / norm);
  }
  return sigma;
}

describe("spectralNorm", () => {
  it("re-registers weight as weight_orig and adds unit u [out] and v [rest], reproducibly", () => {
    const conv = spectralNorm(new Conv2d(3, 5, 3, { random: new Random(1) }), { random: new Random(2) });
    expect(conv.namedParameters().map(([n]) => n)).toEqual(["bias", "weight_orig"]);
    expect(conv.namedBuffers().map(([n, b]) => [n, b.shape])).toEqual([
      ["weight_u", [5]],
      ["weight_v", [27]],
    ]);
    expect(conv.hasParameter("weight")).toBe(false);
    for (const [, b] of conv.namedBuffers()) expect(tf.norm(b).dataSync()[0]).toBeCloseTo(1, 6);
    expect(conv.namedBuffers().every(([, b]) => !b.trainable)).toBe(true);

    // ConvTranspose2d's outputs are weight dimension 1: [in=4, out=3, 4, 4] gives u [3], v [64].
    const convt = spectralNorm(new ConvTranspose2d(4, 3, 4, { random: new Random(1) }), { random: new Random(2) });
    expect(convt.getBuffer("weight_u").shape).toEqual([3]);
    expect(convt.getBuffer("weight_v").shape).toEqual([64]);
    // An explicit dim overrides the layer's.
    const byDim = spectralNorm(new ConvTranspose2d(4, 3, 4), { dim: 0 });
    expect(byDim.getBuffer("weight_u").shape).toEqual([4]);

    const again = spectralNorm(new Conv2d(3, 5, 3, { random: new Random(1) }), { random: new Random(2) });
    expect(Array.from(again.getBuffer("weight_u").dataSync())).toEqual(Array.from(conv.getBuffer("weight_u").dataSync()));
    for (const m of [conv, convt, byDim, again]) m.dispose();
  });

  it("drives the weight's spectral norm to 1 in training, and leaves u, v alone in eval", () => {
    const conv = spectralNorm(new ConvTranspose2d(6, 4, 3, { random: new Random(3) }), { random: new Random(4) });
    tf.tidy(() => conv.getParameter("weight_orig").assign(tf.mul(conv.getParameter("weight_orig"), 7)));
    const x = tf.zeros([1, 2, 2, 6]) as tf.Tensor4D;
    for (let i = 0; i < 40; i++) tf.dispose(conv.forward(x));
    // The weight as a matrix [out, in·kH·kW] (dim 1 first).
    const w = tf.tidy(() => tf.reshape(tf.transpose(conv.weight(), [1, 0, 2, 3]), [4, 54]));
    expect(topSingularValue(w.dataSync(), 4, 54)).toBeCloseTo(1, 4);
    const orig = tf.tidy(() => tf.reshape(tf.transpose(conv.getParameter("weight_orig"), [1, 0, 2, 3]), [4, 54]));
    expect(topSingularValue(orig.dataSync(), 4, 54)).toBeGreaterThan(2);

    conv.eval();
    const u = Array.from(conv.getBuffer("weight_u").dataSync());
    tf.dispose([conv.forward(x), conv.forward(x)]);
    expect(Array.from(conv.getBuffer("weight_u").dataSync())).toEqual(u);
    tf.dispose([x, w, orig]);
    conv.dispose();
  });

  it("trains under optimizer.minimize and leaks no tensors over many forward + backward passes", () => {
    const conv = spectralNorm(new Conv2d(2, 3, 3, { padding: 1, random: new Random(5) }), { random: new Random(6) });
    const x = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 7) as tf.Tensor4D;
    const target = tf.randomNormal([2, 4, 4, 3], 0, 1, "float32", 8);
    const optimizer = tf.train.adam(0.01);
    const loss = () => tf.mean(tf.square(tf.sub(conv.forward(x), target))) as tf.Scalar;
    const step = () => {
      const l = optimizer.minimize(loss, true, conv.parameters());
      if (!l) throw new Error("minimize returned no cost");
      const value = l.dataSync()[0];
      l.dispose();
      const { value: v2, grads } = tf.variableGrads(loss, conv.parameters());
      tf.dispose([v2, ...Object.values(grads)]);
      conv.eval();
      tf.dispose(conv.forward(x));
      conv.train();
      return value;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    tf.dispose([x, target]);
    optimizer.dispose();
    conv.dispose();
  });

  it("rejects bad options and a second application, naming them", () => {
    const conv = new Conv2d(2, 3, 1);
    expect(() => spectralNorm(conv, { nPowerIterations: 0 })).toThrow(
      /spectralNorm\(Conv2d\): option 'nPowerIterations' must be a positive integer, got 0/,
    );
    expect(() => spectralNorm(conv, { eps: -1 })).toThrow(/option 'eps' must be a finite number ≥ 0, got -1/);
    expect(() => spectralNorm(conv, { dim: 4 })).toThrow(/option 'dim' must be an integer in \[0, 4\) for weight \[3,2,1,1\], got 4/);
    // Failed calls leave the layer untouched.
    expect(conv.hasParameter("weight")).toBe(true);
    spectralNorm(conv);
    expect(() => spectralNorm(conv)).toThrow(/already parametrized \(spectral norm applied twice\?\)/);
    conv.dispose();
  });
});
