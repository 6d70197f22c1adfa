import "@tensorflow/tfjs-backend-cpu";
import { Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdam } from "./adam";
import { type StepParts, discriminatorStep, generatorStep } from "./gan-step";
import { TinyDiscriminator, TinyGenerator, changedKeys, simpleBce, snapshotState, tinyImages } from "./test-support";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function parts(): StepParts & { g: TinyGenerator; d: TinyDiscriminator } {
  const g = new TinyGenerator();
  const d = new TinyDiscriminator();
  return {
    g,
    d,
    generator: g,
    discriminator: d,
    gVars: g.parameters(),
    dVars: d.parameters(),
    gOptimizer: createAdam({ lr: 1e-4, beta1: 0, beta2: 0.9, epsilon: 1e-8 }),
    dOptimizer: createAdam({ lr: 4e-4, beta1: 0, beta2: 0.9, epsilon: 1e-8 }),
    loss: simpleBce,
    random: new Random(5),
    scores: "sigmoid",
  };
}

describe("discriminatorStep", () => {
  it("updates every D parameter and no G parameter (G's BatchNorm running stats move by design)", () => {
    const p = parts();
    const real = tinyImages(4);
    const g0 = snapshotState(p.g);
    const d0 = snapshotState(p.d);
    const r = discriminatorStep(p, real);
    expect(changedKeys(d0, snapshotState(p.d)).sort()).toEqual(Object.keys(d0).sort());
    // G ran in training mode (as in the reference), so only its BatchNorm buffers changed.
    expect(changedKeys(g0, snapshotState(p.g)).sort()).toEqual([
      "layer1.1.num_batches_tracked",
      "layer1.1.running_mean",
      "layer1.1.running_var",
    ]);
    const [loss, realScore, fakeScore] = [r.loss, r.realScore, r.fakeScore].map((t) => t.dataSync()[0]);
    expect(Number.isFinite(loss)).toBe(true);
    for (const s of [realScore, fakeScore]) expect(s > 0 && s < 1).toBe(true);
    tf.dispose([r.loss, r.realScore, r.fakeScore, real]);
  });

  it("draws z with the real batch's size and leaves no tensor behind", () => {
    const p = parts();
    const shapes: number[][] = [];
    const forward = p.g.forward.bind(p.g);
    p.g.forward = (z: tf.Tensor) => {
      shapes.push(z.shape);
      return forward(z);
    };
    const real = tinyImages(3);
    // Warm up so the optimizer's moment slots exist.
    let r = discriminatorStep(p, real);
    tf.dispose([r.loss, r.realScore, r.fakeScore]);
    const before = tf.memory().numTensors;
    r = discriminatorStep(p, real);
    tf.dispose([r.loss, r.realScore, r.fakeScore]);
    expect(tf.memory().numTensors).toBe(before);
    expect(shapes).toEqual([
      [3, 4],
      [3, 4],
    ]);
    real.dispose();
  });
});

describe("generatorStep", () => {
  it("updates every G parameter and nothing of D", () => {
    const p = parts();
    const g0 = snapshotState(p.g);
    const d0 = snapshotState(p.d);
    const r = generatorStep(p, 4);
    const gChanged = changedKeys(g0, snapshotState(p.g));
    for (const [name] of p.g.namedParameters()) expect(gChanged).toContain(name);
    expect(changedKeys(d0, snapshotState(p.d))).toEqual([]);
    expect(Number.isFinite(r.loss.dataSync()[0])).toBe(true);
    tf.dispose([r.loss, r.fakeScore]);
  });

  it("reports the mean raw logit as the score when scores is 'logits'", () => {
    const p = { ...parts(), scores: "logits" as const };
    const one = generatorStep(p, 1);
    const score = one.fakeScore.dataSync()[0];
    const loss = one.loss.dataSync()[0];
    // simpleBce's generator loss on a single logit x is softplus(-x), so x = -log(expm1(loss)).
    expect(score).toBeCloseTo(-Math.log(Math.expm1(loss)), 4);
    tf.dispose([one.loss, one.fakeScore]);
  });
});
