import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { FusedAdamOptimizer, applyOrderedGradients, createAdam, exportAdamState, importAdamState } from "./adam";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const settings = { lr: 1e-2, beta1: 0.5, beta2: 0.9, epsilon: 1e-8 };

function grads(vars: tf.Variable[], step: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  vars.forEach((v, i) => {
    out[v.name] = tf.tidy(() => tf.sin(tf.add(tf.mul(tf.onesLike(v), step + 1), tf.mul(tf.reshape(tf.range(0, v.size), v.shape), i + 0.3))));
  });
  return out;
}

describe("createAdam", () => {
  it("is tf.train.adam bit for bit where the backend has no fused update kernel (here: cpu)", () => {
    const opt = createAdam(settings);
    expect(opt).toBeInstanceOf(FusedAdamOptimizer);
    const stock = tf.train.adam(settings.lr, settings.beta1, settings.beta2, settings.epsilon);
    const a = [tf.variable(tf.tensor1d([0.1, -0.2, 0.3])), tf.variable(tf.tensor2d([[1, 2], [3, 4]]))];
    const b = a.map((v) => tf.variable(v.clone()));
    for (let s = 0; s < 4; s++) {
      const g = grads(a, s);
      applyOrderedGradients(opt, a, g);
      stock.applyGradients(b.map((v, i) => ({ name: v.name, tensor: g[a[i].name] })));
      tf.dispose(Object.values(g));
    }
    expect(a.map((v) => Array.from(v.dataSync()))).toEqual(b.map((v) => Array.from(v.dataSync())));
    tf.dispose([...a, ...b]);
    opt.dispose();
    stock.dispose();
  });
});

describe("Adam state export/import", () => {
  it("continues bit-identically after many steps (β2ᵗ restored as accumulated, not recomputed)", async () => {
    const a = [tf.variable(tf.tensor1d([0.1, -0.2, 0.3])), tf.variable(tf.tensor2d([[1, 2], [3, 4]]))];
    const optA = createAdam(settings);
    // β2 = 0.9: after 8 steps pow(0.9, 9) and the running product 0.9·0.9·… differ in float32.
    for (let s = 0; s < 8; s++) {
      const g = grads(a, s);
      applyOrderedGradients(optA, a, g);
      tf.dispose(Object.values(g));
    }
    const exported = await exportAdamState(optA, ["w", "m.weight"]);
    expect(Object.keys(exported.tensors).sort()).toEqual(["accBeta1", "accBeta2", "iter", "m.weight/m", "m.weight/v", "w/m", "w/v"]);
    expect(exported.tensors.iter.dataSync()[0]).toBe(8);
    const copies = Object.fromEntries(Object.entries(exported.tensors).map(([k, t]) => [k, t.clone()]));
    exported.dispose();

    const b = a.map((v) => tf.variable(v.clone()));
    const optB = createAdam(settings);
    await importAdamState(optB, copies, [["w", b[0]], ["m.weight", b[1]]], "test");
    // Re-exported at once, the state is what was imported, β1ᵗ and β2ᵗ included.
    const again = await exportAdamState(optB, ["w", "m.weight"]);
    for (const key of Object.keys(copies)) {
      expect(Array.from(again.tensors[key].dataSync()), key).toEqual(Array.from(copies[key].dataSync()));
    }
    again.dispose();
    tf.dispose(Object.values(copies));
    for (let s = 8; s < 12; s++) {
      const ga = grads(a, s);
      const gb = grads(b, s);
      applyOrderedGradients(optA, a, ga);
      applyOrderedGradients(optB, b, gb);
      tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    }
    for (let i = 0; i < a.length; i++) expect(Array.from(b[i].dataSync())).toEqual(Array.from(a[i].dataSync()));
    optA.dispose();
    optB.dispose();
    tf.dispose([...a, ...b]);
  });

  it("names what does not match the model", async () => {
    const v = tf.variable(tf.zeros([2]));
    const opt = createAdam(settings);
    const g = { [v.name]: tf.ones([2]) };
    applyOrderedGradients(opt, [v], g);
    const exported = await exportAdamState(opt, ["w"]);
    const other = tf.variable(tf.zeros([3]));
    const fresh = createAdam(settings);
    await expect(importAdamState(fresh, exported.tensors, [["w", other]], "opt.safetensors")).rejects.toThrow(
      "opt.safetensors: optimizer state does not match the model:\n  'w/m' has shape [2], expected [3]",
    );
    await expect(importAdamState(fresh, exported.tensors, [["x", v]], "opt.safetensors")).rejects.toThrow("missing 'x/m'");
    exported.dispose();
    tf.dispose([v, other, g[v.name]]);
    opt.dispose();
    fresh.dispose();
  });

  it("skips a variable without a gradient, as PyTorch does", () => {
    const vars = [tf.variable(tf.ones([2])), tf.variable(tf.ones([2]))];
    const opt = createAdam(settings);
    const g = { [vars[1].name]: tf.ones([2]) };
    applyOrderedGradients(opt, vars, g);
    expect(Array.from(vars[0].dataSync())).toEqual([1, 1]);
    expect(vars[1].dataSync()[0]).toBeLessThan(1);
    tf.dispose([...vars, g[vars[1].name]]);
    opt.dispose();
  });
});
