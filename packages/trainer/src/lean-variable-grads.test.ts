import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, Module, Random, ReLU, SelfAttention2d, Sequential, Tanh, spectralNorm } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { leanVariableGrads } from "./lean-variable-grads";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A small SAGAN-like pair: transposed convolutions, BatchNorm, spectral norm, self-attention, LeakyReLU. */
class Pair extends Module {
  readonly g: Sequential;
  readonly attentionG: SelfAttention2d;
  readonly lastG: Sequential;
  readonly d: Sequential;
  readonly attentionD: SelfAttention2d;
  readonly lastD: Conv2d;

  constructor(seed: number) {
    super();
    const random = new Random(seed);
    this.g = this.registerModule(
      "g",
      new Sequential(
        new ConvTranspose2d(6, 16, 4, { stride: 1, random }),
        new BatchNorm2d(16),
        new ReLU(),
        spectralNorm(new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1, random }), { random }),
        new BatchNorm2d(8),
        new ReLU(),
      ),
    );
    this.attentionG = this.registerModule("ag", new SelfAttention2d(8, { random }));
    this.lastG = this.registerModule("lg", new Sequential(new ConvTranspose2d(8, 1, 4, { stride: 2, padding: 1, random }), new Tanh()));
    this.d = this.registerModule(
      "d",
      new Sequential(spectralNorm(new Conv2d(1, 8, 4, { stride: 2, padding: 1, random }), { random }), new LeakyReLU(0.1)),
    );
    this.attentionD = this.registerModule("ad", new SelfAttention2d(8, { random }));
    this.lastD = this.registerModule("ld", new Conv2d(8, 1, 8, { stride: 1, random }));
    // Non-zero attention scales, so that gradients flow through the attention maps too.
    this.attentionG.gamma.assign(tf.tensor1d([0.5]));
    this.attentionD.gamma.assign(tf.tensor1d([-0.3]));
  }

  forward(z: tf.Tensor4D): tf.Tensor4D {
    return this.lastG.forward(this.attentionG.forward(this.g.forward(z)).output);
  }

  logits(images: tf.Tensor4D): tf.Tensor {
    return tf.reshape(this.lastD.forward(this.attentionD.forward(this.d.forward(images)).output), [-1]);
  }

  gVars(): tf.Variable[] {
    return [...this.g.parameters(), ...this.attentionG.parameters(), ...this.lastG.parameters()];
  }

  dVars(): tf.Variable[] {
    return [...this.d.parameters(), ...this.attentionD.parameters(), ...this.lastD.parameters()];
  }
}

type Grads = typeof leanVariableGrads;

/** G's and D's gradients of one step of the pair (hinge-like losses), by `grads`; returns their bits by variable order. */
function stepGradients(pair: Pair, grads: Grads, z: tf.Tensor4D, real: tf.Tensor4D): { loss: number[]; bits: number[][] } {
  const loss: number[] = [];
  const bits: number[][] = [];
  const fake = tf.tidy(() => pair.forward(z));
  for (const [f, vars] of [
    [() => tf.add(tf.mean(tf.relu(tf.sub(1, pair.logits(real)))), tf.mean(tf.relu(tf.add(1, pair.logits(fake))))) as tf.Scalar, pair.dVars()],
    [() => tf.neg(tf.mean(pair.logits(pair.forward(z)))) as tf.Scalar, pair.gVars()],
  ] as const) {
    const { value, grads: g } = grads(f, vars);
    loss.push(value.dataSync()[0]);
    for (const v of vars) bits.push(Array.from(new Uint32Array((g[v.name].dataSync() as Float32Array).slice().buffer)));
    tf.dispose([value, ...Object.values(g)]);
  }
  fake.dispose();
  return { loss, bits };
}

describe("leanVariableGrads", () => {
  const z = () => tf.randomNormal([4, 1, 1, 6], 0, 1, "float32", 3) as tf.Tensor4D;
  const real = () => tf.randomUniform([4, 16, 16, 1], -1, 1, "float32", 4) as tf.Tensor4D;

  it("gives tf.variableGrads' values and gradients bit for bit, step after step", () => {
    const [ours, stock] = [new Pair(1), new Pair(1)];
    const [zs, reals] = [z(), real()];
    for (let step = 0; step < 2; step++) {
      const a = stepGradients(ours, leanVariableGrads, zs, reals);
      const b = stepGradients(stock, tf.variableGrads as Grads, zs, reals);
      expect(a.loss).toEqual(b.loss);
      expect(a.bits.length).toBe(ours.gVars().length + ours.dVars().length);
      expect(a.bits).toEqual(b.bits);
    }
    tf.dispose([zs, reals]);
    ours.dispose();
    stock.dispose();
  });

  it("leaves no tensor behind, and frees as it goes: the backward pass never holds more than the forward left", async () => {
    // Twelve 3×3 convolutions with LeakyReLU: tfjs keeps every activation and every intermediate gradient until the
    // backward pass ends (its peak here: 5.2 MB); freed as it goes, the activations leave as the gradients come, so
    // the peak is the end of the forward pass (4.0 MB: on the cpu backend each saved tensor is a copy).
    const random = new Random(4);
    const layers = Array.from({ length: 12 }, () => new Conv2d(8, 8, 3, { padding: 1, random }));
    const vars = layers.flatMap((l) => l.parameters());
    const x = tf.randomNormal([8, 16, 16, 8], 0, 1, "float32", 5) as tf.Tensor4D;
    const loss = () => tf.tidy(() => tf.mean(layers.reduce((h, l) => tf.leakyRelu(l.forward(h), 0.1), x))) as tf.Scalar;
    const profile = async (grads: Grads) => {
      const before = tf.memory().numTensors;
      const bytesBefore = tf.memory().numBytes;
      let kept: tf.Tensor[] = [];
      const info = await tf.profile(() => {
        const { value, grads: g } = grads(loss, vars);
        kept = [value, ...Object.values(g)];
      });
      const bits = kept.map((t) => Array.from(t.dataSync()));
      tf.dispose(kept);
      expect(tf.memory().numTensors).toBe(before);
      return { peak: info.peakBytes - bytesBefore, bits };
    };
    const lean = await profile(leanVariableGrads);
    const stock = await profile(tf.variableGrads as Grads);
    expect(lean.bits).toEqual(stock.bits);
    expect(lean.peak).toBeLessThan(0.85 * stock.peak);
    x.dispose();
    for (const l of layers) l.dispose();
  });

  it("throws as tf.variableGrads when the loss does not depend on the variables", () => {
    const pair = new Pair(3);
    const before = tf.memory().numTensors;
    expect(() => leanVariableGrads(() => tf.scalar(1), pair.gVars())).toThrow(/Cannot find a connection/);
    expect(tf.memory().numTensors).toBe(before);
    pair.dispose();
  });

  it("runs tf.variableGrads inside another gradient computation", () => {
    const w = tf.variable(tf.scalar(3));
    const outer = tf.grad((x: tf.Tensor) => {
      const { value, grads } = leanVariableGrads(() => tf.mul(tf.mul(w, w), x) as tf.Scalar, [w]);
      return tf.add(value, grads[w.name]);
    });
    // value = w²x, dvalue/dw = 2wx; d(w²x + 2wx)/dx = w² + 2w = 15
    expect(outer(tf.scalar(2)).dataSync()[0]).toBe(15);
    w.dispose();
  });
});
