import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, get, gradientCase, loadFixture, loadParameters } from "../test/parity";
import {
  BatchNorm2d,
  ConditionalBatchNorm2d,
  Conv2d,
  Embedding,
  MODEL_LIMITS,
  ProjectionHead,
  ReLU,
  Random,
  Sequential,
  checkLabels,
  dcganInit,
  getLayer,
  registerLayer,
  relativeError,
  resolveNumClasses,
  spectralNorm,
  standingStatistics,
  takesLabels,
} from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const labels = (values: number[]) => tf.tensor1d(values, "int32");

describe("ConditionalBatchNorm2d", () => {
  // tools/parity/make_conditional_fixtures.py: 3 channels, 4 classes, per-class scales and shifts far from 1 and 0.
  const { tensors } = loadFixture("layers_conditional.safetensors");

  it("matches PyTorch over three training forwards (outputs, gradients, running stats, count) and then in eval", () => {
    const cbn = new ConditionalBatchNorm2d(3, 4);
    loadParameters(cbn, tensors, "cbn");
    for (const name of ["cbn.train0", "cbn.train1", "cbn.train2", "cbn.eval"]) {
      if (name === "cbn.eval") cbn.eval();
      const y = get(tensors, `${name}.labels`) as tf.Tensor1D;
      expect(y.dtype).toBe("int32");
      const errors = gradientCase(cbn, (x) => cbn.forward(x, y), tensors, name);
      expectParity(errors, name);
      expect(errors.y, `${name}: output`).toBeLessThanOrEqual(2e-6);
      for (const buffer of ["running_mean", "running_var"]) {
        expect(relativeError(cbn.bn.getBuffer(buffer), get(tensors, `${name}.bn.${buffer}`)), `${name}: ${buffer}`).toBeLessThanOrEqual(2e-6);
      }
      expect(cbn.bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(get(tensors, `${name}.bn.num_batches_tracked`).dataSync()[0]);
    }
    expect(cbn.bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(3);
    cbn.dispose();
  });

  it("gives a class that is not in the batch exactly zero gradient, and each sample its own class's scale and shift", () => {
    const cbn = new ConditionalBatchNorm2d(3, 4);
    loadParameters(cbn, tensors, "cbn");
    const y = labels([2, 0, 2, 1]); // no sample of class 3
    const x = get(tensors, "cbn.train0.x") as tf.Tensor4D;
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(cbn.forward(x, y))), cbn.parameters());
    for (const p of cbn.parameters()) {
      const row3 = tf.slice(grads[p.name], [3, 0], [1, 3]);
      expect(Array.from(row3.dataSync())).toEqual([0, 0, 0]);
      expect(tf.max(tf.abs(tf.slice(grads[p.name], [0, 0], [3, 3]))).dataSync()[0]).toBeGreaterThan(0);
      row3.dispose();
    }
    // out = γ[y]·BN(x) + β[y], BN the affine-free BatchNorm2d with the same statistics.
    cbn.eval();
    const plain = new BatchNorm2d(3, { affine: false }).eval();
    plain.loadStateDict({ running_mean: cbn.bn.getBuffer("running_mean"), running_var: cbn.bn.getBuffer("running_var"), num_batches_tracked: cbn.bn.getBuffer("num_batches_tracked") });
    const out = cbn.forward(x, y);
    const expected = tf.tidy(() => {
      const gamma = tf.reshape(tf.gather(cbn.gammaEmbed.getParameter("weight"), y), [4, 1, 1, 3]);
      const beta = tf.reshape(tf.gather(cbn.betaEmbed.getParameter("weight"), y), [4, 1, 1, 3]);
      return tf.add(tf.mul(gamma, plain.forward(x)), beta);
    });
    expect(relativeError(out, expected)).toBeLessThanOrEqual(1e-6);
    tf.dispose([y, value, out, expected, ...Object.values(grads)]);
    plain.dispose();
    cbn.dispose();
  });

  it("has PyTorch's state-dict names and order, starts as a plain BatchNorm2d, and dcganInit draws γ ~ N(1, 0.02)", () => {
    const cbn = new ConditionalBatchNorm2d(5, 3);
    expect(Object.keys(cbn.stateDict())).toEqual([
      "bn.running_mean",
      "bn.running_var",
      "bn.num_batches_tracked",
      "gamma_embed.weight",
      "beta_embed.weight",
    ]);
    expect(cbn.namedParameters().map(([n]) => n)).toEqual(["gamma_embed.weight", "beta_embed.weight"]);
    expect(cbn.gammaEmbed.getParameter("weight").shape).toEqual([3, 5]);
    expect(new Set(cbn.gammaEmbed.getParameter("weight").dataSync())).toEqual(new Set([1]));
    expect(new Set(cbn.betaEmbed.getParameter("weight").dataSync())).toEqual(new Set([0]));
    expect(cbn.bn.affine).toBe(false);
    expect(cbn.eps).toBe(1e-5);

    const x = new Random(3).normal([4, 2, 2, 5]) as tf.Tensor4D;
    const y = labels([0, 1, 2, 1]);
    const reference = new BatchNorm2d(5);
    const [a, b] = [cbn.forward(x, y), reference.forward(x)];
    expect(relativeError(a, b)).toBe(0);

    dcganInit(cbn, new Random(1));
    const gamma = Array.from(cbn.gammaEmbed.getParameter("weight").dataSync());
    const mean = gamma.reduce((s, v) => s + v, 0) / gamma.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
    expect(gamma.some((v) => v !== 1)).toBe(true);
    expect(gamma.every((v) => Math.abs(v - 1) < 0.1)).toBe(true);
    expect(new Set(cbn.betaEmbed.getParameter("weight").dataSync())).toEqual(new Set([0]));
    tf.dispose([x, y, a, b]);
    reference.dispose();
    cbn.dispose();
  });

  it("sits where a BatchNorm2d sat: Sequential passes its labels on; standingStatistics re-measures its statistics", () => {
    const random = new Random(5);
    const block = new Sequential(new Conv2d(2, 3, 1, { random }), new ConditionalBatchNorm2d(3, 2), new ReLU());
    expect(takesLabels(block)).toBe(true);
    expect(takesLabels(block.get(1))).toBe(true);
    expect(takesLabels(block.get(0))).toBe(false);
    expect(Object.keys(block.stateDict())).toContain("1.gamma_embed.weight");
    const x = random.normal([4, 3, 3, 2]) as tf.Tensor4D;
    const y = labels([0, 1, 1, 0]);
    const out = block.forward(x, y);
    expect(out.shape).toEqual([4, 3, 3, 3]);
    expect(() => block.forward(x)).toThrow(/ConditionalBatchNorm2d.forward: labels are required/);
    // Nested: the outer Sequential hands the labels to the inner one.
    const nested = new Sequential(block);
    const again = nested.forward(x, y);
    expect(again.shape).toEqual([4, 3, 3, 3]);

    const cbn = block.get(1) as ConditionalBatchNorm2d;
    standingStatistics(block, 2, () => block.forward(x, y));
    expect(cbn.bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(2);
    expect(cbn.bn.momentum).toBe(0.1);
    tf.dispose([x, y, out, again]);
    block.dispose();
  });

  it("plugs into the layer registry as a BatchNorm replacement", () => {
    registerLayer("conditional-batch-norm2d", (channels: number, numClasses: number) => new ConditionalBatchNorm2d(channels, numClasses), {
      override: true,
    });
    const layer = getLayer("conditional-batch-norm2d")(4, 7) as ConditionalBatchNorm2d;
    expect(layer).toBeInstanceOf(ConditionalBatchNorm2d);
    expect([layer.numFeatures, layer.numClasses]).toEqual([4, 7]);
    layer.dispose();
  });

  it("updates the running statistics once per forward under tf.grad and minimize, like BatchNorm2d", () => {
    const cbn = new ConditionalBatchNorm2d(2, 2, { momentum: 0.5 });
    const x = tf.tensor4d([1, 10, 3, 30], [2, 1, 1, 2]); // per channel: values 1, 3 (mean 2, unbiased variance 2)
    const y = labels([1, 0]);
    const g = tf.grad((input: tf.Tensor) => tf.sum(cbn.forward(input as tf.Tensor4D, y)))(x);
    expect(Array.from(cbn.bn.getBuffer("running_mean").dataSync())).toEqual([1, 10]);
    expect(Array.from(cbn.bn.getBuffer("running_var").dataSync())).toEqual([1.5, 100.5]);
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(() => tf.sum(tf.mul(cbn.forward(x, y), tf.tensor4d([1, -1, 2, 3], [2, 1, 1, 2]))) as tf.Scalar);
    expect(cbn.bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(2);
    expect(Array.from(cbn.gammaEmbed.getParameter("weight").dataSync()).some((v) => v !== 1)).toBe(true);
    tf.dispose([x, y, g]);
    optimizer.dispose();
    cbn.dispose();
  });

  it("rejects bad options, inputs and labels, naming what was expected", () => {
    expect(() => new ConditionalBatchNorm2d(0, 2)).toThrow(/numFeatures must be a positive integer, got 0/);
    expect(() => new ConditionalBatchNorm2d(2, 0)).toThrow(/numClasses must be a positive integer, got 0/);
    expect(() => new ConditionalBatchNorm2d(2, 2, { momentum: 2 })).toThrow(/momentum must be in \[0, 1\]/);
    const cbn = new ConditionalBatchNorm2d(2, 3);
    const x = tf.zeros([2, 2, 2, 2]) as tf.Tensor4D;
    const cases: Array<[tf.Tensor | undefined, RegExp]> = [
      [undefined, /labels are required: the model is conditional on 3 classes; pass forward\(x, \{ labels \}\) with int32 labels \[2\] in \[0, 3\)/],
      [labels([0, 1, 2]), /labels must be \[2\] \(one per sample\), got \[3\]/],
      [tf.tensor1d([0, 1], "float32"), /labels must be int32, got float32/],
      [labels([0, 3]), /label 3 at index 1 is out of range \[0, 3\)/],
      [labels([-1, 0]), /label -1 at index 0 is out of range \[0, 3\)/],
    ];
    for (const [y, message] of cases) {
      expect(() => cbn.forward(x, y as tf.Tensor1D)).toThrow(message);
      y?.dispose();
    }
    expect(cbn.bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(0); // nothing ran
    expect(() => cbn.forward(tf.zeros([2, 2, 2, 3]) as tf.Tensor4D, labels([0, 0]))).toThrow(/expects input \[B, H, W, 2\]/);
    x.dispose();
    cbn.dispose();
  });
});

describe("Embedding", () => {
  it("is nn.Embedding: weight [K, D] ~ N(0, 1), rows by int32 index, gradient only into the rows used", () => {
    const e = new Embedding(5, 3, { random: new Random(2) });
    expect(Object.keys(e.stateDict())).toEqual(["weight"]);
    const w = e.getParameter("weight");
    const idx = labels([4, 0, 4]);
    const rows = e.forward(idx);
    const expected = tf.gather(w, idx);
    expect(relativeError(rows, expected)).toBe(0);
    const { grads, value } = tf.variableGrads(() => tf.sum(e.forward(idx)), [w]);
    expect(Array.from(grads[w.name].dataSync())).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
    expect(() => e.forward(labels([5]))).toThrow(/Embedding.forward: label 5 at index 0 is out of range \[0, 5\)/);
    expect(() => new Embedding(0, 2)).toThrow(/numEmbeddings must be a positive integer/);
    const filled = new Embedding(2, 2, { fill: 0.5 });
    expect(Array.from(filled.getParameter("weight").dataSync())).toEqual([0.5, 0.5, 0.5, 0.5]);
    filled.dispose();
    tf.dispose([idx, rows, expected, value, ...Object.values(grads)]);
    e.dispose();
  });
});

describe("no tensor leaks in the conditional layers", () => {
  it.each([
    ["ConditionalBatchNorm2d (training)", false],
    ["ConditionalBatchNorm2d (eval)", true],
  ])("%s: forward, variableGrads and grad leave the tensor count flat", (_, evalMode) => {
    const random = new Random(8);
    const block = new Sequential(new Conv2d(3, 4, 1, { random }), new ConditionalBatchNorm2d(4, 3), new ReLU());
    const head = spectralNorm(new ProjectionHead(3, 4 * 2 * 2, { random }), { random });
    if (evalMode) {
      block.eval();
      head.eval();
    }
    const x = tf.variable(random.normal([4, 2, 2, 3]), true);
    const y = tf.tensor1d([0, 2, 2, 1], "int32");
    const loss = (input: tf.Tensor) => tf.sum(tf.square(head.forward(block.forward(input as tf.Tensor4D, y), y)));
    const step = () => {
      tf.dispose(block.forward(x as unknown as tf.Tensor4D, y));
      const { value, grads } = tf.variableGrads(() => loss(x) as tf.Scalar, [x, ...block.parameters(), ...head.parameters()]);
      const dx = tf.grad(loss)(x);
      tf.dispose([value, dx, ...Object.values(grads)]);
      expect(() => block.forward(x as unknown as tf.Tensor4D)).toThrow(/labels are required/);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    block.dispose();
    head.dispose();
  });
});

describe("the conditional options and checks", () => {
  it("BatchNorm2d({ affine: false }) is PyTorch's affine=False: no parameters, only the running statistics", () => {
    const bn = new BatchNorm2d(3, { affine: false });
    expect(Object.keys(bn.stateDict())).toEqual(["running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.parameters()).toEqual([]);
    const x = tf.tidy(() => tf.add(new Random(1).normal([2, 2, 2, 3]), 3)) as tf.Tensor4D;
    const [a, b] = [bn.forward(x), new BatchNorm2d(3).forward(x)];
    expect(relativeError(a, b)).toBe(0);
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(1);
    dcganInit(bn); // nothing to draw
    expect(() => new BatchNorm2d(3, { affine: "no" as never })).toThrow(/affine must be a boolean/);
    tf.dispose([x, a, b]);
    bn.dispose();
  });

  it("resolveNumClasses: absent is unconditional; an integer in [1, MODEL_LIMITS.maxClasses]", () => {
    expect(resolveNumClasses(undefined, "M")).toBeUndefined();
    expect(resolveNumClasses(10, "M")).toBe(10);
    expect(MODEL_LIMITS.maxClasses).toBe(1000);
    for (const bad of [0, 2.5, 1001, "3"]) {
      expect(() => resolveNumClasses(bad, "M")).toThrow(`M: option 'numClasses' must be an integer in [1, 1000], got ${bad}`);
    }
  });

  it("checkLabels reads a tensor's values once, and again after a variable holding labels is assigned", () => {
    const y = tf.variable(tf.tensor1d([0, 1], "int32"), false);
    expect(checkLabels(y, 2, 2, "M")).toBe(y);
    expect(checkLabels(y, 2, 2, "M")).toBe(y);
    expect(() => checkLabels(y, 2, 1, "M")).toThrow(/M: label 1 at index 1 is out of range \[0, 1\)/);
    y.assign(tf.tensor1d([0, 5], "int32"));
    expect(() => checkLabels(y, 2, 2, "M")).toThrow(/M: label 5 at index 1 is out of range \[0, 2\)/);
    expect(() => checkLabels(tf.tensor2d([[0, 1]], [1, 2], "int32"), 2, 2, "M")).toThrow(/labels must be \[2\] \(one per sample\), got \[1,2\]/);
    expect(() => checkLabels([0, 1] as never, 2, 2, "M")).toThrow(/labels must be an int32 tensor \[2\], got object/);
    y.dispose();
  });
});
