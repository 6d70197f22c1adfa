import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, get, gradientCase, loadFixture, loadParameters } from "../test/parity";
import { countSyncReads } from "../test/sync-reads";
import { BatchNorm2d, relativeError } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("BatchNorm2d", () => {
  const { tensors } = loadFixture("layers_batch_norm2d.safetensors");

  it("matches PyTorch over three training forwards (outputs, gradients, running stats, count) and then in eval", () => {
    const bn = new BatchNorm2d(3);
    loadParameters(bn, tensors, "bn");
    for (let step = 0; step < 3; step++) {
      const name = `bn.train${step}`;
      expectParity(gradientCase(bn, (x) => bn.forward(x), tensors, name), name);
      for (const buffer of ["running_mean", "running_var"]) {
        const err = relativeError(bn.getBuffer(buffer), get(tensors, `${name}.${buffer}`));
        if (process.env.PARITY_LOG) console.log(`parity ${name}.${buffer}: ${err}`);
        expect(err, `${name}: ${buffer}`).toBeLessThanOrEqual(1e-5);
      }
      const count = bn.getBuffer("num_batches_tracked");
      expect(count.dtype).toBe("int32");
      expect(count.dataSync()[0]).toBe(get(tensors, `${name}.num_batches_tracked`).dataSync()[0]);
      expect(count.dataSync()[0]).toBe(step + 1);
    }
    bn.eval();
    const before = bn.getBuffer("running_mean").dataSync().slice();
    expectParity(gradientCase(bn, (x) => bn.forward(x), tensors, "bn.eval"), "bn.eval");
    expect(Array.from(bn.getBuffer("running_mean").dataSync())).toEqual(Array.from(before));
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(3);
    bn.dispose();
  });

  it("matches PyTorch's momentum=None after reset_running_stats: a plain average over the batches", () => {
    const bn = new BatchNorm2d(3, { momentum: null });
    loadParameters(bn, tensors, "bn");
    bn.getBuffer("running_mean").assign(tf.tensor1d([5, -5, 2]));
    bn.resetRunningStats();
    expect(Array.from(bn.getBuffer("running_mean").dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(bn.getBuffer("running_var").dataSync())).toEqual([1, 1, 1]);
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(0);
    for (let step = 0; step < 3; step++) {
      const name = `bn.cumulative${step}`;
      const y = bn.forward(get(tensors, `${name}.x`) as tf.Tensor4D);
      expect(relativeError(y, get(tensors, `${name}.y`)), `${name}.y`).toBeLessThanOrEqual(1e-5);
      for (const buffer of ["running_mean", "running_var"]) {
        expect(relativeError(bn.getBuffer(buffer), get(tensors, `${name}.${buffer}`)), `${name}.${buffer}`).toBeLessThanOrEqual(1e-5);
      }
      y.dispose();
    }
    bn.dispose();
  });

  it("keeps the cumulative average's batch count on the host: no download per batch; a loaded count is read once", async () => {
    const bn = new BatchNorm2d(3, { momentum: null });
    const x = get(tensors, "bn.cumulative0.x") as tf.Tensor4D;
    await countSyncReads((reads) => {
      bn.resetRunningStats();
      for (let i = 0; i < 3; i++) tf.dispose(bn.forward(x));
      expect(reads()).toBe(0);
      // A state dict with another count: read once, known again after the update.
      const nine = tf.scalar(9, "int32");
      bn.loadStateDict({ ...bn.stateDict(), num_batches_tracked: nine }, { finite: false });
      nine.dispose();
      const before = reads();
      tf.dispose(bn.forward(x));
      tf.dispose(bn.forward(x));
      expect(reads() - before).toBe(1);
    });
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(11);
    // The loaded count weighs the next batches by 1/10, then 1/11, as PyTorch's momentum=None does.
    const again = new BatchNorm2d(3, { momentum: null });
    again.resetRunningStats();
    for (let i = 0; i < 3; i++) tf.dispose(again.forward(x));
    const start = again.getBuffer("running_mean").dataSync().slice();
    const batch = tf.tidy(() => tf.mean(x, [0, 1, 2]).dataSync().slice());
    const expected = Array.from(start, (m, c) => {
      const after10 = Math.fround(Math.fround(m * Math.fround(1 - 1 / 10)) + Math.fround(batch[c] * Math.fround(1 / 10)));
      return after10 * (1 - 1 / 11) + batch[c] / 11;
    });
    const got = bn.getBuffer("running_mean").dataSync();
    for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
    bn.dispose();
    again.dispose();
  });

  it("keeps one full-size tensor less for the backward pass than tfjs ops would, with their gradients bit for bit", () => {
    const bn = new BatchNorm2d(5);
    bn.getParameter("weight").assign(tf.tensor1d([1.1, 0.9, -0.7, 1.3, 0.5]));
    bn.getParameter("bias").assign(tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05]));
    const x = tf.randomNormal([3, 4, 4, 5], 0, 2, "float32", 9) as tf.Tensor4D;
    const r = tf.randomNormal([3, 4, 4, 5], 0, 1, "float32", 10);
    const [weight, bias] = [bn.getParameter("weight"), bn.getParameter("bias")];
    // What BatchNorm2d computed before, with tfjs's gradients of mul and add.
    const plain = (v: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      const mean = tf.mean(v, [0, 1, 2]);
      const centred = tf.sub(v, mean);
      const inverse = tf.rsqrt(tf.add(tf.mean(tf.square(centred), [0, 1, 2]), 1e-5));
      return tf.sum(tf.mul(tf.add(tf.mul(centred, tf.mul(inverse, w)), b), r));
    };
    const ours = (v: tf.Tensor) => tf.sum(tf.mul(bn.forward(v as tf.Tensor4D), r));
    const bits = (ts: tf.Tensor[]) => ts.map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
    const expected = bits(tf.grads(plain)([x, weight, bias]));
    const { grads } = tf.variableGrads(() => ours(x) as tf.Scalar, [weight, bias]);
    const dx = tf.grad(ours)(x);
    expect(bits([dx, grads[weight.name], grads[bias.name]])).toEqual(expected);
    // What the tape keeps: count the full-size tensors saved by one training forward.
    const saved = (f: () => tf.Tensor) => {
      const engine = tf.engine() as unknown as { state: { activeTape: Array<{ saved?: tf.Tensor[] }> | null } };
      let count = 0;
      tf.variableGrads(() => {
        const y = f() as tf.Scalar;
        for (const node of engine.state.activeTape ?? []) count += (node.saved ?? []).filter((t) => t.size === x.size).length;
        return y;
      }, [weight]);
      return count;
    };
    expect(saved(() => ours(x))).toBe(saved(() => plain(x, weight, bias)) - 1);
  });

  it("has PyTorch's parameters and buffers in PyTorch's order", () => {
    const bn = new BatchNorm2d(4);
    expect(Object.keys(bn.stateDict())).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(bn.namedParameters().map(([n]) => n)).toEqual(["weight", "bias"]);
    expect(Array.from(bn.getParameter("weight").dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.getBuffer("running_var").dataSync())).toEqual([1, 1, 1, 1]);
    bn.dispose();
  });

  it("updates the running statistics exactly once per forward under tf.grad, variableGrads and minimize", () => {
    const bn = new BatchNorm2d(2, { momentum: 0.5 });
    // per channel: values 1, 3 (batch mean 2, unbiased variance 2)
    const x = tf.tensor4d([1, 10, 3, 30], [1, 2, 1, 2]);
    const loss = () => tf.sum(tf.square(bn.forward(x))) as tf.Scalar;
    const g = tf.grad((input: tf.Tensor) => tf.sum(bn.forward(input as tf.Tensor4D)))(x);
    expect(Array.from(bn.getBuffer("running_mean").dataSync())).toEqual([1, 10]); // 0.5·0 + 0.5·[2, 20]
    expect(Array.from(bn.getBuffer("running_var").dataSync())).toEqual([1.5, 100.5]); // 0.5·1 + 0.5·[2, 200]
    const { value, grads } = tf.variableGrads(loss);
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(loss);
    expect(Array.from(bn.getBuffer("running_mean").dataSync())).toEqual([1.75, 17.5]);
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(3);
    // The weight moved: minimize saw gradients through the batch statistics.
    expect(Array.from(bn.getParameter("weight").dataSync()).some((w) => w !== 1)).toBe(true);
    tf.dispose([x, g, value, ...Object.values(grads)]);
    optimizer.dispose();
    bn.dispose();
  });

  it("normalises with the batch statistics in training mode (zero mean, unit biased variance)", () => {
    const bn = new BatchNorm2d(3);
    const x = tf.add(tf.mul(tf.randomNormal([4, 3, 3, 3], 0, 1, "float32", 5), 4), 7) as tf.Tensor4D;
    const y = bn.forward(x);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-5);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3);
    tf.dispose([x, y, mean, variance]);
    bn.dispose();
  });

  it("rejects bad options and inputs", () => {
    expect(() => new BatchNorm2d(0)).toThrow(/numFeatures must be a positive integer, got 0/);
    expect(() => new BatchNorm2d(2, { momentum: 2 })).toThrow(/momentum must be in \[0, 1\], got 2/);
    expect(() => new BatchNorm2d(2, { eps: 0 })).toThrow(/eps must be > 0/);
    const bn = new BatchNorm2d(2);
    const one = tf.zeros([1, 1, 1, 2]) as tf.Tensor4D;
    expect(() => bn.forward(one)).toThrow(/expected more than 1 value per channel when training/);
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(0);
    const wrong = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
    expect(() => bn.forward(wrong)).toThrow(/BatchNorm2d expects input \[B, H, W, 2\] \(NHWC\), got \[2,2,2,3\]/);
    bn.eval();
    const y = bn.forward(one);
    expect(y.shape).toEqual([1, 1, 1, 2]);
    tf.dispose([one, wrong, y]);
    bn.dispose();
  });
});
