import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { ConditionalBatchNorm2d, ProjectionHead } from "@gan/layers";
import { loadWeights } from "@gan/layers/node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { conditionalDiscriminatorParity, conditionalGeneratorParity } from "../test/conditional-parity";
import { expectParity, readFixture } from "../test/model-parity";
import { DcganDiscriminator, DcganGenerator, LatentGapDcganGenerator, createDiscriminator, createGenerator } from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const labels = (values: number[]) => tf.tensor1d(values, "int32");

/** `BCEWithLogitsLoss(reduction='mean')` against a constant label, in its numerically stable form. */
function bce(logits: tf.Tensor, label: number): tf.Scalar {
  return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, label)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

/** Beyond `expectParity`'s 1e-5: images, logits, losses and BatchNorm statistics within 2e-6 (relative). */
function expectTight(forward: Record<string, number>): void {
  for (const [k, e] of Object.entries(forward)) expect(e, k).toBeLessThanOrEqual(2e-6);
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("conditional DCGAN: parity with the PyTorch reference (tools/parity/make_conditional_fixtures.py)", () => {
  const g = readFixture(fixture("conditional-generator.parity.safetensors"));
  const d = readFixture(fixture("conditional-discriminator.parity.safetensors"));
  const width = Number(g.metadata.image_size);
  const numClasses = Number(g.metadata.num_classes);

  it("the fixtures are the reference's ConditionalDcgan* at a small width", () => {
    expect(g.metadata).toMatchObject({ model: "dcgan", image_size: "8", z_dim: "20", batch: "4", num_classes: "4" });
    expect(Array.from(d.tensors.labels_real.dataSync())).toEqual([1, 3, 0, 1]);
  });

  it("generator: the reference's weights load strictly; images, logits, BatchNorm statistics and BCE gradients agree in train and eval mode", async () => {
    const G = new DcganGenerator({ width, numClasses, seed: 99 });
    const D = new DcganDiscriminator({ width, numClasses, seed: 98 });
    await loadWeights(G, fixture("conditional-generator.init.safetensors"), { strict: true });
    await loadWeights(D, fixture("conditional-discriminator.init.safetensors"), { strict: true });
    const errors = conditionalGeneratorParity(G, D, g.tensors, (fake) => bce(fake, 1));
    expect(Object.keys(errors.gradients)).toHaveLength(2 * (G.parameters().length + 1));
    expect(errors.forward).toHaveProperty(["after.layer3.1.bn.running_mean"]);
    expect(errors.gradients).toHaveProperty(["eval.grad.layer1.1.gamma_embed.weight"]);
    expectParity(errors, "conditional dcgan generator");
    expectTight(errors.forward);
    G.dispose();
    D.dispose();
  });

  it("discriminator: logits with the projection term, BCE gradients w.r.t. parameters (the class embedding too) and inputs agree in train and eval mode", async () => {
    const D = createDiscriminator({ width, numClasses, seed: 97 });
    await loadWeights(D, fixture("conditional-discriminator.init.safetensors"), { strict: true });
    const errors = conditionalDiscriminatorParity(D, d.tensors, (real, fake) => tf.add(bce(real, 1), bce(fake, 0)) as tf.Scalar);
    expect(Object.keys(errors.gradients)).toHaveLength(2 * (D.parameters().length + 2));
    expect(errors.gradients).toHaveProperty(["grad.embed.weight"]);
    expectParity(errors, "conditional dcgan discriminator");
    expectTight(errors.forward);
    D.dispose();
  });

  it("parameter counts at the reference size (z 20, width 64, 10 classes) equal PyTorch's", () => {
    const counts = JSON.parse(g.metadata.param_counts);
    const G = createGenerator({ numClasses: 10, init: "pytorch", seed: 0 });
    const D = createDiscriminator({ numClasses: 10, init: "pytorch", seed: 0 });
    expect(G.numParameters()).toBe(counts.generator);
    expect(D.numParameters()).toBe(counts.discriminator);
    expect(counts.generator - 2_920_257).toBe((2 * 10 - 2) * (512 + 256 + 128 + 64));
    expect(counts.discriminator - 2_762_689).toBe(10 * 512 * 16);
    G.dispose();
    D.dispose();
  });
});

describe("conditional DCGAN models", () => {
  it("numClasses: conditional BatchNorm in the generator (also behind a latent gap), a plain projection head in the discriminator", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3 });
    const gap = createGenerator({ width: 2, seed: 1, numClasses: 3, latentGap: {} });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3 });
    const plainD = createDiscriminator({ width: 2, seed: 2 });
    expect(gap).toBeInstanceOf(LatentGapDcganGenerator);
    for (const m of [G, gap]) {
      expect(m.numClasses).toBe(3);
      for (const layer of [m.layer1, m.layer2, m.layer3, m.layer4]) expect(layer.get(1)).toBeInstanceOf(ConditionalBatchNorm2d);
    }
    expect(Object.keys(gap.stateDict())).toEqual(Object.keys(G.stateDict()));
    expect(D.embed).toBeInstanceOf(ProjectionHead);
    expect(Object.keys(D.stateDict())).toEqual([...Object.keys(plainD.stateDict()), "embed.weight"]);
    // dcganInit: the class embedding at a convolution weight's scale, N(0, 0.02).
    const embed = Array.from(D.stateDict()["embed.weight"].dataSync());
    expect(Math.max(...embed.map(Math.abs))).toBeLessThan(0.15);

    const z = tf.randomNormal([2, 20], 0, 1, "float32", 1);
    const y = labels([2, 0]);
    for (const m of [G, gap]) {
      const { images } = m.forward(z, { labels: y });
      const { logits } = D.forward(images, { labels: y });
      expect([images.shape, logits.shape]).toEqual([
        [2, 64, 64, 1],
        [2],
      ]);
      tf.dispose([images, logits]);
    }
    tf.dispose([z, y]);
    for (const m of [G, gap, D, plainD]) m.dispose();
  });

  it("missing or out-of-range labels are errors naming the class; unconditional models ignore labels; leaves no tensors behind", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3 });
    const gap = createGenerator({ width: 2, seed: 1, numClasses: 3, latentGap: {} });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3 });
    const plain = createGenerator({ width: 2, seed: 1 }).eval();
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 1);
    const x = tf.zeros([2, 64, 64, 1]) as tf.Tensor4D;
    const bad = labels([0, 7]);
    const before = tf.memory().numTensors;
    expect(() => G.forward(z)).toThrow(/DcganGenerator.forward: labels are required: the model is conditional on 3 classes/);
    expect(() => gap.forward(z, { labels: bad })).toThrow(/LatentGapDcganGenerator.forward: label 7 at index 1 is out of range \[0, 3\)/);
    expect(() => D.forward(x)).toThrow(/DcganDiscriminator.forward: labels are required/);
    expect(() => D.forward(x, { labels: tf.tensor1d([0, 1]) as tf.Tensor1D })).toThrow(/DcganDiscriminator.forward: labels must be int32, got float32/);
    expect(tf.memory().numTensors).toBe(before + 1); // the float labels
    expect(() => createDiscriminator({ numClasses: 1001 })).toThrow(/DcganDiscriminator: option 'numClasses' must be an integer in \[1, 1000\], got 1001/);
    const a = plain.forward(z, { labels: bad }).images;
    const b = plain.forward(z).images;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([z, x, bad, a, b]);
    for (const m of [G, gap, D, plain]) m.dispose();
  });

  it("20 conditional iterations (D step, then G step, with gradients) leave the tensor count flat", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3, latentGap: {} });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3 });
    const real = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 3) as tf.Tensor4D;
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 4);
    const yReal = labels([2, 0]);
    const yFake = labels([1, 1]);
    const iteration = () => {
      const dStep = tf.variableGrads(() => {
        const fake = G.forward(z, { labels: yFake }).images;
        return tf.add(bce(D.forward(real, { labels: yReal }).logits, 1), bce(D.forward(fake, { labels: yFake }).logits, 0)) as tf.Scalar;
      }, D.parameters());
      const gStep = tf.variableGrads(() => bce(D.forward(G.forward(z, { labels: yFake }).images, { labels: yFake }).logits, 1), G.parameters());
      tf.dispose([dStep.value, gStep.value, ...Object.values(dStep.grads), ...Object.values(gStep.grads)]);
    };
    iteration();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) iteration();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([real, z, yReal, yFake]);
    G.dispose();
    D.dispose();
  });
});
