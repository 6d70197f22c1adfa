// Forward and backward passes of small DCGAN- and SAGAN-like graphs, built from raw tfjs ops, on the wasm
// backend (with this package's kernels) against the cpu backend: every kernel a GAN training step needs
// on wasm, including those its gradients call, must exist and agree.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { AvgPool2d, Upsample2d } from "@gan/layers";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "./register-training-kernels";
import { randomArray, relativeError } from "./test-utils";

type Params = Record<string, tf.Tensor>;

function makeParams(shapes: Record<string, number[]>, seed: number): Params {
  const params: Params = {};
  Object.entries(shapes).forEach(([name, shape], i) => {
    params[name] = tf.tensor(randomArray(tf.util.sizeFromShape(shape), seed + i), shape);
  });
  return params;
}

/** Batch norm written out the way a layer library does it (moments over N, H, W). */
function batchNorm2d(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const mean = tf.mean(x, [0, 1, 2], true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), [0, 1, 2], true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta) as tf.Tensor4D;
}

/** Spectral normalisation of a conv weight by one power iteration from a fixed u. */
function spectralNorm(w: tf.Tensor4D, u: tf.Tensor2D): tf.Tensor4D {
  const mat = tf.reshape(tf.transpose(w, [3, 0, 1, 2]), [w.shape[3], -1]) as tf.Tensor2D;
  const v = tf.div(tf.matMul(u, mat), tf.add(tf.norm(tf.matMul(u, mat)), 1e-12)) as tf.Tensor2D;
  const u2 = tf.div(tf.matMul(v, mat, false, true), tf.add(tf.norm(tf.matMul(v, mat, false, true)), 1e-12)) as tf.Tensor2D;
  const sigma = tf.sum(tf.mul(u2, tf.matMul(v, mat, false, true)));
  return tf.div(w, sigma) as tf.Tensor4D;
}

/** Numerically stable binary cross-entropy with logits, as GAN losses use it. */
function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  const y = target === 1 ? tf.onesLike(logits) : tf.zerosLike(logits);
  const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.mean(loss);
}

const Z = 6;
const generatorShapes = {
  w1: [4, 4, 16, Z], // conv2dTranspose filters are [kh, kw, out, in]
  g1: [16],
  b1: [16],
  w2: [4, 4, 12, 16],
  g2: [12],
  b2: [12],
  w3: [4, 4, 1, 12],
};

function generator(p: Params, z: tf.Tensor4D): tf.Tensor4D {
  const batch = z.shape[0];
  let h = tf.conv2dTranspose(z, p.w1 as tf.Tensor4D, [batch, 4, 4, 16], 1, "valid");
  h = tf.relu(batchNorm2d(h, p.g1, p.b1));
  h = tf.conv2dTranspose(h, p.w2 as tf.Tensor4D, [batch, 8, 8, 12], 2, 1);
  h = tf.relu(tf.batchNorm(h, tf.moments(h, [0, 1, 2]).mean, tf.moments(h, [0, 1, 2]).variance, p.b2, p.g2, 1e-5)) as tf.Tensor4D;
  return tf.tanh(tf.conv2dTranspose(h, p.w3 as tf.Tensor4D, [batch, 16, 16, 1], 2, 1));
}

const discriminatorShapes = {
  w1: [4, 4, 1, 8],
  w2: [4, 4, 8, 16],
  g2: [16],
  b2: [16],
  w3: [4, 4, 16, 1],
};

function discriminator(p: Params, x: tf.Tensor4D): tf.Tensor {
  // The power-iteration vector is a buffer, not a parameter: it gets no gradient.
  const u = tf.tensor2d(randomArray(8, 99), [1, 8]);
  let h = tf.conv2d(x, spectralNorm(p.w1 as tf.Tensor4D, u), 2, 1);
  h = tf.leakyRelu(h, 0.1);
  h = tf.conv2d(h, p.w2 as tf.Tensor4D, 2, 1);
  h = tf.leakyRelu(batchNorm2d(h, p.g2, p.b2), 0.2);
  return tf.reshape(tf.conv2d(h, p.w3 as tf.Tensor4D, 1, "valid"), [-1]);
}

const attentionShapes = {
  wq: [1, 1, 16, 4],
  wk: [1, 1, 16, 4],
  wv: [1, 1, 16, 16],
  gamma: [1],
  alpha: [16],
};

/** SAGAN self-attention on [B, 16, 16, 16]: N = 256 positions, queries and keys of 4 channels. */
function attention(p: Params, x: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w, c] = x.shape;
  const n = h * w;
  const q = tf.reshape(tf.conv2d(x, p.wq as tf.Tensor4D, 1, "valid"), [batch, n, 4]);
  const k = tf.reshape(tf.conv2d(x, p.wk as tf.Tensor4D, 1, "valid"), [batch, n, 4]);
  const v = tf.reshape(tf.conv2d(x, p.wv as tf.Tensor4D, 1, "valid"), [batch, n, c]);
  const map = tf.softmax(tf.matMul(q, k, false, true)); // [B, N, N]
  const o = tf.reshape(tf.matMul(map, v), [batch, h, w, c]);
  return tf.prelu(tf.add(x, tf.mul(p.gamma, o)), p.alpha) as tf.Tensor4D;
}

/** Odds and ends that layers, losses and optimisers use, with gradients. */
function miscellany(x: tf.Tensor4D): tf.Scalar {
  const padded = tf.pad(x, [[0, 0], [1, 1], [2, 0], [0, 0]]);
  const sliced = tf.slice(padded, [0, 1, 1, 0], [-1, 4, 5, -1]);
  const joined = tf.concat([sliced, tf.tile(tf.slice(sliced, [0, 0, 0, 0], [-1, -1, -1, 1]), [1, 1, 1, 2])], 3);
  const mask = tf.cast(tf.greaterEqual(joined, 0), "float32");
  const picked = tf.where(tf.greaterEqual(joined, 0.2), joined, tf.mul(joined, 0.5));
  const maxed = tf.maximum(picked, tf.mul(mask, -0.3));
  const pooled = tf.max(tf.sqrt(tf.add(tf.square(maxed), 1)), [1, 2]);
  return tf.add(tf.mean(tf.div(pooled, tf.add(tf.abs(tf.mean(joined)), 2))), tf.sum(tf.sigmoid(joined)));
}

interface Outcome {
  values: Float32Array[];
}

async function onBackend(backend: string, fn: () => tf.Tensor[]): Promise<Outcome> {
  await tf.setBackend(backend);
  const tensors = tf.tidy(fn);
  const values = tensors.map((t) => t.dataSync() as Float32Array);
  tf.dispose(tensors);
  return { values };
}

function compare(actual: Outcome, expected: Outcome, names: string[]): void {
  expect(actual.values.length).toBe(expected.values.length);
  expected.values.forEach((e, i) => {
    const error = relativeError(actual.values[i], e);
    expect(error, `${names[i]}: relative error ${error}`).toBeLessThan(1e-4);
  });
}

describe("a GAN training step on wasm matches the cpu backend", () => {
  beforeAll(() => {
    registerTrainingKernels();
  });

  it("DCGAN-like generator and discriminator: losses and every parameter gradient", async () => {
    const step = () => {
      const g = makeParams(generatorShapes, 100);
      const d = makeParams(discriminatorShapes, 200);
      const z = tf.tensor4d(randomArray(3 * Z, 7), [3, 1, 1, Z]);
      const real = tf.tensor4d(randomArray(3 * 16 * 16, 8), [3, 16, 16, 1]);
      const dNames = Object.keys(d);
      const gNames = Object.keys(g);
      // Discriminator step: real → 1, fake (generator output held fixed) → 0.
      const fake = generator(g, z);
      const dLoss = (...ws: tf.Tensor[]) => {
        const dp = Object.fromEntries(dNames.map((n, i) => [n, ws[i]]));
        return tf.add(bceWithLogits(discriminator(dp, real), 1), bceWithLogits(discriminator(dp, fake), 0)) as tf.Scalar;
      };
      const { value: dValue, grads: dGrads } = tf.valueAndGrads(dLoss)(dNames.map((n) => d[n]));
      // Generator step: gradients flow through the discriminator into the generator.
      const gLoss = (...ws: tf.Tensor[]) => {
        const gp = Object.fromEntries(gNames.map((n, i) => [n, ws[i]]));
        return bceWithLogits(discriminator(d, generator(gp, z)), 1);
      };
      const { value: gValue, grads: gGrads } = tf.valueAndGrads(gLoss)(gNames.map((n) => g[n]));
      return [fake, dValue, ...dGrads, gValue, ...gGrads];
    };
    const names = ["fake images", "D loss", ...Object.keys(discriminatorShapes).map((n) => `dD/d${n}`), "G loss"];
    names.push(...Object.keys(generatorShapes).map((n) => `dG/d${n}`));
    const expected = await onBackend("cpu", step);
    const actual = await onBackend("wasm", step);
    compare(actual, expected, names);
  });

  it("SAGAN-like self-attention: output, attention and parameter gradients", async () => {
    const step = () => {
      const p = makeParams(attentionShapes, 300);
      const x = tf.tensor4d(randomArray(2 * 16 * 16 * 16, 9), [2, 16, 16, 16]);
      const names = Object.keys(p);
      const loss = (...ws: tf.Tensor[]) => {
        const ap = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
        const y = attention(ap, ws[ws.length - 1] as tf.Tensor4D);
        return tf.mean(tf.square(tf.sub(y, 0.1))) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(loss)([...names.map((n) => p[n]), x]);
      return [attention(p, x), value, ...grads];
    };
    const names = ["output", "loss", ...Object.keys(attentionShapes).map((n) => `d/d${n}`), "d/dx"];
    const expected = await onBackend("cpu", step);
    const actual = await onBackend("wasm", step);
    compare(actual, expected, names);
  });

  it("Upsample2d and AvgPool2d (SAGAN at working size 32), with gradients", async () => {
    const step = () => {
      const x = tf.tensor4d(randomArray(2 * 6 * 5 * 3, 12), [2, 6, 5, 3]);
      const r = tf.tensor4d(randomArray(2 * 6 * 5 * 3, 13), [2, 6, 5, 3]);
      const up = new Upsample2d(2);
      const pool = new AvgPool2d(2);
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(pool.forward(tf.square(up.forward(t as tf.Tensor4D))), r)))(x);
      return [up.forward(x), value, grad];
    };
    const expected = await onBackend("cpu", step);
    const actual = await onBackend("wasm", step);
    compare(actual, expected, ["upsampled", "value", "gradient"]);
  });

  it("padding, slicing, concatenation, tiling, selection and reductions, with gradients", async () => {
    const step = () => {
      const x = tf.tensor4d(randomArray(2 * 5 * 6 * 3, 11), [2, 5, 6, 3]);
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => miscellany(t as tf.Tensor4D))(x);
      return [value, grad];
    };
    const expected = await onBackend("cpu", step);
    const actual = await onBackend("wasm", step);
    compare(actual, expected, ["value", "gradient"]);
  });

  it("runs a training step without leaking tensors", async () => {
    await tf.setBackend("wasm");
    const p = makeParams(attentionShapes, 400);
    const g = makeParams(generatorShapes, 500);
    const x = tf.tensor4d(randomArray(2 * 16 * 16 * 16, 12), [2, 16, 16, 16]);
    const z = tf.tensor4d(randomArray(2 * Z, 13), [2, 1, 1, Z]);
    const names = Object.keys(p);
    const gNames = Object.keys(g);
    const iteration = () =>
      tf.tidy(() => {
        const grads = tf.grads((...ws: tf.Tensor[]) => {
          const ap = Object.fromEntries(names.map((n, i) => [n, ws[i]]));
          return tf.mean(attention(ap, x));
        })(names.map((n) => p[n]));
        const gGrads = tf.grads((...ws: tf.Tensor[]) => {
          const gp = Object.fromEntries(gNames.map((n, i) => [n, ws[i]]));
          return tf.mean(generator(gp, z));
        })(gNames.map((n) => g[n]));
        return tf.addN([...grads, ...gGrads].map((t) => tf.sum(t)));
      });
    tf.dispose(iteration());
    const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds() };
    for (let i = 0; i < 3; i++) tf.dispose(iteration());
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(tf.engine().backend.numDataIds()).toBe(before.data);
  });
});
