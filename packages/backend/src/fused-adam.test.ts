// @gan/trainer's Adam on the wasm backend with this package's kernels: each update runs as one GanAdamUpdate
// kernel per parameter, and the weights, moments and checkpointed state are tfjs's `tf.train.adam`'s bit for bit.
import { applyOrderedGradients, createAdam, exportAdamState, importAdamState } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { ADAM_UPDATE } from "./kernels/adam-update";
import { registerTrainingKernels } from "./register-training-kernels";
import { countWasmKernelCalls, randomArray } from "./test-utils";

const shapes = [[4, 4, 20, 32], [32], [3, 3, 8, 1], [7]];

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

function parameters(seed: number): tf.Variable[] {
  return shapes.map((shape, i) => tf.variable(tf.tensor(randomArray(tf.util.sizeFromShape(shape), seed + i), shape)));
}

function gradients(vars: tf.Variable[], step: number): tf.NamedTensorMap {
  return Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(randomArray(v.size, 1000 * step + i), v.shape)]));
}

async function state(opt: tf.AdamOptimizer): Promise<number[][]> {
  const { tensors, dispose } = await exportAdamState(opt, shapes.map((_, i) => `p${i}`));
  const out = Object.keys(tensors).sort().map((k) => bits(tensors[k]));
  dispose();
  return out;
}

describe("@gan/trainer's Adam on wasm (one fused kernel per parameter)", () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend("wasm");
  });

  for (const [beta1, beta2] of [[0, 0.9], [0.5, 0.999]]) {
    it(`updates as tf.train.adam does, bit for bit, over 6 steps (betas ${beta1}, ${beta2}), and resumes from its state`, async () => {
      const settings = { lr: 4e-4, beta1, beta2, epsilon: 1e-8 };
      const ours = parameters(1);
      const stock = parameters(1);
      const optOurs = createAdam(settings);
      const optStock = tf.train.adam(settings.lr, beta1, beta2, settings.epsilon);
      const fused = countWasmKernelCalls(ADAM_UPDATE);
      try {
        for (let step = 0; step < 6; step++) {
          const g = gradients(ours, step);
          const before = tf.memory().numTensors;
          applyOrderedGradients(optOurs, ours, g);
          // After the first step (which makes the moment slots) nothing is left behind.
          if (step > 0) expect(tf.memory().numTensors).toBe(before);
          optStock.applyGradients(stock.map((v, i) => ({ name: v.name, tensor: g[ours[i].name] })));
          tf.dispose(Object.values(g));
          expect(ours.map(bits)).toEqual(stock.map(bits));
        }
      } finally {
        fused.restore();
      }
      expect(fused.calls()).toBe(6 * shapes.length);
      expect(await state(optOurs)).toEqual(await state(optStock));

      // A fresh optimizer given the exported state takes the next step as the running one does.
      const { tensors, dispose } = await exportAdamState(optOurs, shapes.map((_, i) => `p${i}`));
      const copies = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.clone()]));
      dispose();
      const resumed = ours.map((v) => tf.variable(v.clone()));
      const optResumed = createAdam(settings);
      await importAdamState(optResumed, copies, resumed.map((v, i) => [`p${i}`, v] as const), "test");
      const g = gradients(ours, 6);
      applyOrderedGradients(optOurs, ours, g);
      applyOrderedGradients(optResumed, resumed, Object.fromEntries(resumed.map((v, i) => [v.name, g[ours[i].name]])));
      expect(resumed.map(bits)).toEqual(ours.map(bits));
      tf.dispose([...Object.values(g), ...Object.values(copies), ...ours, ...stock, ...resumed]);
      for (const opt of [optOurs, optStock, optResumed]) opt.dispose();
    });
  }
});
