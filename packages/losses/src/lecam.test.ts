import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeSafetensors, relativeError } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { hingeLoss, withLeCam } from "./index";

const FIXTURE = fileURLToPath(new URL("../fixtures/lecam.safetensors", import.meta.url));
let fx: Record<string, tf.Tensor>;

beforeAll(async () => {
  await tf.setBackend("cpu");
  fx = decodeSafetensors(new Uint8Array(readFileSync(FIXTURE)), FIXTURE).tensors;
});

const close = (actual: tf.Tensor, key: string, tolerance: number) =>
  expect(tf.tidy(() => relativeError(tf.reshape(actual, fx[key].shape), fx[key])), key).toBeLessThanOrEqual(tolerance);

describe("withLeCam", () => {
  it("matches the paper's code over a sequence of batches: loss, gradients and moving averages", () => {
    const loss = withLeCam(hingeLoss(), { weight: 0.3, decay: 0.99 });
    for (let i = 0; i < 4; i++) {
      const { value, grads } = tf.valueAndGrads((r: tf.Tensor, f: tf.Tensor) => loss.discriminatorLoss(r, f))([fx[`step${i}.real`], fx[`step${i}.fake`]]);
      close(value, `step${i}.d`, 1e-5);
      close(grads[0], `step${i}.d.grad_real`, 1e-4);
      close(grads[1], `step${i}.d.grad_fake`, 1e-4);
      const [real, fake] = fx[`step${i}.ema`].dataSync();
      const state = loss.getState();
      expect(state.updates).toBe(i + 1);
      expect(state.realLogitEma).toBeCloseTo(real, 5);
      expect(state.fakeLogitEma).toBeCloseTo(fake, 5);
      tf.dispose([value, ...grads]);
    }
  });

  it("adds nothing while the scores sit on the right sides of the averages; the generator's loss is the base's", () => {
    const loss = withLeCam(hingeLoss(), { weight: 10 });
    const base = hingeLoss();
    const real = tf.tensor1d([2, 2]);
    const fake = tf.tensor1d([-2, -2]);
    // First call: the averages become 2 and −2, so relu(real − (−2)) = 4 per real sample: 10·(16 + 16) on top.
    const first = loss.discriminatorLoss(real, fake);
    expect(first.dataSync()[0]).toBeCloseTo(base.discriminatorLoss(real, fake).dataSync()[0] + 320, 4);
    const lower = tf.tensor1d([-3, -3]);
    const higher = tf.tensor1d([3, 3]);
    // Real below the fake average and fake above the real average: nothing to add.
    const quiet = withLeCam(hingeLoss(), { weight: 10, decay: 0.999999 });
    quiet.setState({ realLogitEma: -100, fakeLogitEma: 100, updates: 5 });
    expect(quiet.discriminatorLoss(lower, higher).dataSync()[0]).toBeCloseTo(base.discriminatorLoss(lower, higher).dataSync()[0], 3);
    const g = loss.generatorLoss(fake);
    expect(g.dataSync()[0]).toBe(base.generatorLoss(fake).dataSync()[0]);
    expect(loss.name).toBe("hinge");
    tf.dispose([real, fake, first, lower, higher, g]);
  });

  it("keeps its state through getState/setState, and rejects bad options and states naming them", () => {
    const a = withLeCam(hingeLoss());
    const real = tf.tensor1d([0.5, 1.5]);
    const fake = tf.tensor1d([-0.5, 0.25]);
    tf.dispose(a.discriminatorLoss(real, fake));
    const b = withLeCam(hingeLoss());
    b.setState(a.getState());
    const [x, y] = [a.discriminatorLoss(fake, real), b.discriminatorLoss(fake, real)];
    expect(x.dataSync()[0]).toBe(y.dataSync()[0]);
    expect(a.getState()).toEqual(b.getState());
    expect(() => withLeCam(hingeLoss(), { weight: -1 })).toThrow(/withLeCam: option 'weight' must be a number ≥ 0, got -1/);
    expect(() => withLeCam(hingeLoss(), { decay: 1 })).toThrow(/withLeCam: option 'decay' must be a number in \[0, 1\), got 1/);
    expect(() => b.setState({ realLogitEma: Number.NaN, fakeLogitEma: 0, updates: 1 })).toThrow(/withLeCam.setState: expected/);
    tf.dispose([real, fake, x, y]);
  });

  it("leaks no tensors", () => {
    const loss = withLeCam(hingeLoss());
    const real = tf.randomNormal([8]);
    const fake = tf.randomNormal([8]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const { value, grads } = tf.valueAndGrads((r: tf.Tensor, f: tf.Tensor) => loss.discriminatorLoss(r, f))([real, fake]);
      tf.dispose([value, ...grads]);
    }
    expect(tf.memory().numTensors).toBe(before);
    loss.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    tf.dispose([real, fake]);
  });
});
