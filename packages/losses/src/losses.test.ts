import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeSafetensors, relativeError } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GanLoss, LOSS_NAMES, bceLoss, bceWithLogits, hingeLoss, lossByName } from "./index";

const FIXTURE = fileURLToPath(new URL("../fixtures/losses.safetensors", import.meta.url));
let fx: Record<string, tf.Tensor>;

beforeAll(async () => {
  await tf.setBackend("cpu");
  fx = decodeSafetensors(new Uint8Array(readFileSync(FIXTURE)), FIXTURE).tensors;
});

function dLossAndGrads(loss: GanLoss, real: tf.Tensor, fake: tf.Tensor) {
  const { value, grads } = tf.valueAndGrads((r: tf.Tensor, f: tf.Tensor) => loss.discriminatorLoss(r, f))([real, fake]);
  return { value, gradReal: grads[0], gradFake: grads[1] };
}

function gLossAndGrad(loss: GanLoss, fake: tf.Tensor) {
  const { value, grad } = tf.valueAndGrad((f: tf.Tensor) => loss.generatorLoss(f))(fake);
  return { value, gradFake: grad };
}

const errors: Record<string, number> = {};
afterAll(() => {
  // The parity margins, visible in the test log.
  const worst = Object.entries(errors).sort((a, b) => b[1] - a[1])[0];
  if (worst) console.log(`losses parity: largest relative error ${worst[1]} (${worst[0]}) over ${Object.keys(errors).length} checks`);
});
function expectClose(key: string, actual: tf.Tensor, tolerance: number): void {
  // common.py stores 0-d tensors as [1] (np.ascontiguousarray); scalar shapes are asserted separately.
  const err = tf.tidy(() => relativeError(tf.reshape(actual, fx[key].shape), fx[key]));
  errors[key] = err;
  expect(err, key).toBeLessThanOrEqual(tolerance);
}

describe.each(["normal", "extreme"])("parity with PyTorch, %s logits", (c) => {
  const cases: Array<[string, () => GanLoss, Record<string, "nonsat" | "minimax" | "g">]> = [
    ["bce", () => bceLoss(), { nonsat: "nonsat" }],
    ["bce", () => bceLoss({ generator: "minimax" }), { minimax: "minimax" }],
    ["hinge", () => hingeLoss(), { g: "g" }],
  ];
  for (const [family, make, gens] of cases) {
    const gKey = Object.keys(gens)[0];
    it(`${make().name}: D and G losses and gradients match`, () => {
      const loss = make();
      const real = fx[`${c}.real`];
      const fake = fx[`${c}.fake`];
      const d = dLossAndGrads(loss, real, fake);
      expect(d.value.shape).toEqual([]);
      expectClose(`${c}.${family}.d`, d.value, 1e-5);
      expectClose(`${c}.${family}.d.grad_real`, d.gradReal, 1e-4);
      expectClose(`${c}.${family}.d.grad_fake`, d.gradFake, 1e-4);
      const g = gLossAndGrad(loss, fake);
      expect(g.value.shape).toEqual([]);
      expectClose(`${c}.${family}.${gKey}`, g.value, 1e-5);
      expectClose(`${c}.${family}.${gKey}.grad_fake`, g.gradFake, 1e-4);
      tf.dispose([d.value, d.gradReal, d.gradFake, g.value, g.gradFake]);
    });
  }
});

describe("bceWithLogits", () => {
  it("stays finite and exact for saturated logits", () => {
    const x = tf.tensor1d([100, -100, 50, -50, 0]);
    expect(Array.from(bceWithLogits(x, 1).dataSync())).toEqual([
      expect.closeTo(0, 40),
      100,
      expect.closeTo(0, 20),
      50,
      expect.closeTo(Math.LN2, 6),
    ]);
    const grad = tf.grad((l: tf.Tensor) => tf.sum(bceWithLogits(l, 1)))(x);
    const g = Array.from(grad.dataSync());
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(-1);
    expect(g[4]).toBeCloseTo(-0.5, 7); // σ(0) − 1, where composed relu/abs gradients would give −1
  });

  it("accepts tensor targets (label smoothing) and differentiates w.r.t. them", () => {
    const logits = [0.3, -2];
    const targets = [0.9, 0.1];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const x = tf.tensor1d(logits);
    const y = tf.tensor1d(targets);
    const loss = bceWithLogits(x, y).dataSync();
    const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(bceWithLogits(a, b)))([x, y]);
    for (let i = 0; i < 2; i++) {
      const p = sig(logits[i]);
      expect(loss[i]).toBeCloseTo(-(targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p)), 6);
      expect(gx.dataSync()[i]).toBeCloseTo(p - targets[i], 6);
      expect(gy.dataSync()[i]).toBeCloseTo(-logits[i], 6);
    }
    // A scalar target is broadcast, and its gradient summed back to a scalar.
    const gScalar = tf.grad((t: tf.Tensor) => tf.sum(bceWithLogits(x, t)))(tf.scalar(1));
    expect(gScalar.shape).toEqual([]);
    expect(gScalar.dataSync()[0]).toBeCloseTo(1.7, 6);
  });
});

describe("GanLoss objects", () => {
  it("have names that lossByName maps back", () => {
    expect(bceLoss().name).toBe("bce");
    expect(bceLoss().generator).toBe("non-saturating");
    expect(bceLoss({ generator: "minimax" }).name).toBe("bce-minimax");
    expect(hingeLoss().name).toBe("hinge");
    for (const name of LOSS_NAMES) expect(lossByName(name).name).toBe(name);
    expect(() => lossByName("wgan")).toThrow(/Unknown loss 'wgan': expected one of bce, bce-minimax, hinge/);
    expect(() => lossByName("toString")).toThrow(/Unknown loss/);
  });

  it("reject a bad generator option naming it", () => {
    expect(() => bceLoss({ generator: "saturating" as "minimax" })).toThrow(/option 'generator' must be "non-saturating" or "minimax", got "saturating"/);
  });

  it("reject empty or non-float logits naming the argument", () => {
    const empty = tf.tensor1d([]);
    const ok = tf.tensor1d([1, 2]);
    expect(() => hingeLoss().discriminatorLoss(empty, ok)).toThrow(/hingeLoss.discriminatorLoss: realLogits is empty/);
    expect(() => bceLoss().generatorLoss(tf.tensor1d([1], "int32"))).toThrow(/bceLoss.generatorLoss: fakeLogits must be float32/);
  });

  it("treat [B, 1, 1, 1] logits like [B] (the reference's .view(-1))", () => {
    const real = tf.tensor1d([0.5, -1.5, 2]);
    const fake = tf.tensor1d([-0.5, 3, 0.1]);
    for (const loss of [bceLoss(), bceLoss({ generator: "minimax" }), hingeLoss()]) {
      const flat = loss.discriminatorLoss(real, fake).dataSync()[0];
      const nchw = loss.discriminatorLoss(tf.reshape(real, [3, 1, 1, 1]), tf.reshape(fake, [3, 1, 1, 1])).dataSync()[0];
      expect(nchw).toBeCloseTo(flat, 6);
      expect(loss.generatorLoss(tf.reshape(fake, [3, 1, 1, 1])).dataSync()[0]).toBeCloseTo(loss.generatorLoss(fake).dataSync()[0], 6);
    }
  });

  it("leak no tensors over many forward + backward passes", () => {
    const real = tf.tensor1d([0.5, -1.5, 2, 100]);
    const fake = tf.tensor1d([-0.5, 3, 0.1, -100]);
    const losses = [bceLoss(), bceLoss({ generator: "minimax" }), hingeLoss()];
    const step = () => {
      for (const loss of losses) {
        const d = tf.valueAndGrads((r: tf.Tensor, f: tf.Tensor) => loss.discriminatorLoss(r, f))([real, fake]);
        const g = tf.valueAndGrad((f: tf.Tensor) => loss.generatorLoss(f))(fake);
        tf.dispose([d.value, ...d.grads, g.value, g.grad]);
      }
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
