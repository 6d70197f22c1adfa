import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";
import { randomArray } from "../test-utils";
import { ADAM_UPDATE, type AdamUpdateAttrs, adamUpdateLoop } from "./adam-update";
import { isCustomWasmKernel } from "./kernel-registry";
import { simdKernels } from "./simd-kernels";
import { type WasmBackend, heapF32, heapIndex } from "./wasm-internals";

const shapes = [[1], [3], [4, 4], [5, 7], [64, 3, 3, 33]];

/** Gradients with the edge cases planted: ±0, a denormal, values whose square overflows or underflows. */
function gradient(size: number, seed: number): Float32Array {
  const g = randomArray(size, seed);
  [0, -0, -1e-40, 3e20, -2e-25, 1e-3].forEach((e, i) => {
    if (i * 2 < size) g[i * 2] = e;
  });
  return g;
}

/** tfjs's `AdamOptimizer.applyGradients`, op by op, for one parameter. */
function tfjsUpdate(x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, a: AdamUpdateAttrs): tf.Tensor[] {
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const v1 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const mHat = tf.div(m1, a.oneMinusAccBeta1);
    const vHat = tf.div(v1, a.oneMinusAccBeta2);
    const x1 = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), a.epsilon)), -a.learningRate), x);
    return [x1, m1, v1];
  });
}

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

describe("GanAdamUpdate on wasm (Adam in one pass)", () => {
  let backend: WasmBackend;
  beforeAll(async () => {
    await tf.setBackend("wasm");
    registerTrainingKernels();
    backend = tf.backend() as unknown as WasmBackend;
  });
  afterAll(() => {
    registerTrainingKernels();
  });

  it("is installed with the training kernels", () => {
    expect(isCustomWasmKernel(ADAM_UPDATE)).toBe(true);
    expect(simdKernels(backend) == null).toBe(process.env.GAN_WASM_NO_SIMD_KERNELS === "1");
  });

  const settings: AdamUpdateAttrs[] = [
    { beta1: 0, beta2: 0.9, epsilon: 1e-8, learningRate: 4e-4, oneMinusAccBeta1: 1, oneMinusAccBeta2: Math.fround(1 - 0.9) },
    { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, learningRate: 1.2e-3, oneMinusAccBeta1: Math.fround(1 - 0.125), oneMinusAccBeta2: Math.fround(1 - 0.997) },
  ];
  shapes.forEach((shape, i) => {
    it(`equals tfjs's op-by-op update bit for bit for [${shape}], edge gradients included (SIMD and JS loops)`, () => {
      const size = tf.util.sizeFromShape(shape);
      for (const a of settings) {
        const x = tf.tensor(randomArray(size, i), shape);
        const m = tf.tensor(randomArray(size, i + 100), shape);
        const v = tf.abs(tf.tensor(randomArray(size, i + 200), shape));
        const g = tf.tensor(gradient(size, i + 300), shape);
        const expected = tfjsUpdate(x, m, v, g, a).map(bits);
        const before = tf.memory().numTensors;
        const ours = tf.engine().runKernel(ADAM_UPDATE, { x, m, v, g }, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
        expect(tf.memory().numTensors).toBe(before + 3);
        expect(ours.map(bits)).toEqual(expected);
        // The JS loop (used where WebAssembly SIMD is missing), on the same inputs.
        const js = [x, m, v].map((t) => tf.zerosLike(t));
        const c = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.oneMinusAccBeta1, a.oneMinusAccBeta2, a.epsilon, -a.learningRate].map(Math.fround);
        adamUpdateLoop(heapF32(backend), [x, m, v, g, ...js].map((t) => heapIndex(backend, t)), size, c);
        expect(js.map(bits)).toEqual(expected);
        tf.dispose([x, m, v, g, ...ours, ...js]);
      }
    });
  });

  it("names the mismatch when the shapes differ", () => {
    const [x, g] = [tf.zeros([2, 3]), tf.zeros([3, 2])];
    expect(() => tf.engine().runKernel(ADAM_UPDATE, { x, m: x, v: x, g }, settings[0] as unknown as tf.NamedAttrMap)).toThrow(/g is float32 \[3,2\]/);
    tf.dispose([x, g]);
  });
});
