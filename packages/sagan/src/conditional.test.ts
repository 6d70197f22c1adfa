import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { loadWeights } from "@gan/layers/node";
import { hingeLoss } from "@gan/losses";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { conditionalDiscriminatorParity, conditionalGeneratorParity } from "../../dcgan/test/conditional-parity";
import { expectParity, readFixture } from "../../dcgan/test/model-parity";
import {
  ConditionalBatchNorm2d,
  FlexibleSaganDiscriminator,
  FlexibleSaganGenerator,
  SaganDiscriminator,
  ProjectionHead,
  SaganGenerator,
  createDiscriminator,
  createGenerator,
} from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const hinge = hingeLoss();
const labels = (values: number[]) => tf.tensor1d(values, "int32");

/**
 * Beyond `expectParity`'s 1e-5: images, logits, losses and buffers within 2e-6 (relative to their largest value).
 * Attention maps stay at 1e-5: rows of softmax weights, whose small entries carry float32 rounding of exp.
 */
function expectTight(forward: Record<string, number>): void {
  for (const [k, e] of Object.entries(forward)) if (!/attention/.test(k)) expect(e, k).toBeLessThanOrEqual(2e-6);
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("conditional SAGAN: parity with the PyTorch reference (tools/parity/make_conditional_fixtures.py)", () => {
  const g = readFixture(fixture("conditional-generator.parity.safetensors"));
  const d = readFixture(fixture("conditional-discriminator.parity.safetensors"));
  const width = Number(g.metadata.image_size);
  const numClasses = Number(g.metadata.num_classes);

  it("the fixtures are the reference's ConditionalSagan* at a small width, with labels that leave a class out", () => {
    expect(g.metadata).toMatchObject({ model: "sagan", image_size: "8", z_dim: "20", batch: "4", num_classes: "4" });
    expect(Array.from(g.tensors.labels.dataSync())).toEqual([2, 0, 2, 1]);
    expect(g.tensors.labels.dtype).toBe("int32");
    // Attention that matters: each map's largest weight at least 2.5 times a uniform row's (1/N).
    for (const [tensors, keys] of [
      [g.tensors, ["train.attention1", "train.attention2"]],
      [d.tensors, ["train.real.attention1", "train.real.attention2"]],
    ] as const) {
      for (const key of keys) expect(tf.max(tensors[key]).dataSync()[0] * (tensors[key].shape[2] as number), key).toBeGreaterThan(2.5);
    }
  });

  it.each([
    ["SaganGenerator", (seed: number) => new SaganGenerator({ width, numClasses, seed })],
    ["FlexibleSaganGenerator", (seed: number) => new FlexibleSaganGenerator({ width, numClasses, seed })],
  ])("%s: the reference's weights load strictly; images, maps, logits, buffers and hinge gradients agree in train and eval mode", async (_, make) => {
    const G = make(99);
    const D = new SaganDiscriminator({ width, numClasses, seed: 98 });
    await loadWeights(G, fixture("conditional-generator.init.safetensors"), { strict: true });
    await loadWeights(D, fixture("conditional-discriminator.init.safetensors"), { strict: true });
    const errors = conditionalGeneratorParity(G, D, g.tensors, (fake) => hinge.generatorLoss(fake));
    expect(Object.keys(errors.gradients)).toHaveLength(2 * (G.parameters().length + 1));
    expect(errors.forward).toHaveProperty(["after.layer2.1.bn.running_var"]);
    expect(errors.forward).toHaveProperty(["eval.attention2"]);
    expect(errors.gradients).toHaveProperty(["eval.grad.layer4.1.gamma_embed.weight"]);
    expectParity(errors, "conditional sagan generator");
    expectTight(errors.forward);
    G.dispose();
    D.dispose();
  });

  it.each([
    ["SaganDiscriminator", (seed: number) => new SaganDiscriminator({ width, numClasses, seed })],
    ["FlexibleSaganDiscriminator", (seed: number) => new FlexibleSaganDiscriminator({ width, numClasses, seed })],
  ])("%s: logits with the projection term, maps, u/v (the embedding's too), hinge gradients w.r.t. parameters and inputs agree in train and eval mode", async (_, make) => {
    const D = make(97);
    await loadWeights(D, fixture("conditional-discriminator.init.safetensors"), { strict: true });
    const errors = conditionalDiscriminatorParity(D, d.tensors, (real, fake) => hinge.discriminatorLoss(real, fake));
    expect(Object.keys(errors.gradients)).toHaveLength(2 * (D.parameters().length + 2));
    expect(errors.forward).toHaveProperty(["after.embed.weight_u"]);
    expect(errors.gradients).toHaveProperty(["grad.embed.weight_orig"]);
    expect(errors.gradients).toHaveProperty(["eval.grad.embed.weight_orig"]);
    expectParity(errors, "conditional sagan discriminator");
    expectTight(errors.forward);
    D.dispose();
  });

  it("parameter counts at the reference size (z 20, width 64, 10 classes) equal PyTorch's", () => {
    const counts = JSON.parse(g.metadata.param_counts);
    const G = createGenerator({ numClasses: 10, init: "pytorch", seed: 0 });
    const D = createDiscriminator({ numClasses: 10, init: "pytorch", seed: 0 });
    expect(G.numParameters()).toBe(counts.generator);
    expect(D.numParameters()).toBe(counts.discriminator);
    // The unconditional nets' counts with each BatchNorm's weight and bias [C] replaced by a γ and β per class
    // [10, C], and the discriminator's class embedding [10, 512·16].
    expect(counts.generator - 2_946_099).toBe((2 * 10 - 2) * (512 + 256 + 128 + 64));
    expect(counts.discriminator - 3_173_251).toBe(10 * 512 * 16);
    G.dispose();
    D.dispose();
  });
});

describe("conditional SAGAN models", () => {
  it("numClasses swaps every BatchNorm for a ConditionalBatchNorm2d and adds a spectrally normalised projection head; nothing else changes", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3 }) as SaganGenerator;
    const plainG = createGenerator({ width: 2, seed: 1 });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3 });
    const plainD = createDiscriminator({ width: 2, seed: 2 });
    expect(G).toBeInstanceOf(SaganGenerator);
    expect(D).toBeInstanceOf(SaganDiscriminator);
    expect([G.numClasses, D.numClasses, plainG.numClasses, plainD.numClasses]).toEqual([3, 3, undefined, undefined]);
    for (const layer of [G.layer1, G.layer2, G.layer3, G.layer4]) expect(layer.get(1)).toBeInstanceOf(ConditionalBatchNorm2d);
    const rename = (k: string) => k.replace(/^(layer\d\.1)\.(running_mean|running_var|num_batches_tracked)$/, "$1.bn.$2");
    const gKeys = Object.keys(G.stateDict());
    expect(gKeys.filter((k) => !/_embed\.weight$/.test(k))).toEqual(Object.keys(plainG.stateDict()).filter((k) => !/^layer\d\.1\.(weight|bias)$/.test(k)).map(rename));
    expect(gKeys.filter((k) => k.startsWith("layer1.1."))).toEqual([
      "layer1.1.bn.running_mean",
      "layer1.1.bn.running_var",
      "layer1.1.bn.num_batches_tracked",
      "layer1.1.gamma_embed.weight",
      "layer1.1.beta_embed.weight",
    ]);
    expect(D.embed).toBeInstanceOf(ProjectionHead);
    expect(Object.keys(D.stateDict())).toEqual([...Object.keys(plainD.stateDict()), "embed.weight_orig", "embed.weight_u", "embed.weight_v"]);
    expect(D.stateDict()["embed.weight_orig"].shape).toEqual([3, 2 * 8 * 16]);
    // An unconditional checkpoint loads with strict: false: every convolution and attention block.
    G.loadStateDict(plainG.stateDict(), { strict: false });
    D.loadStateDict(plainD.stateDict(), { strict: false });
    for (const [m, plain, key] of [
      [G, plainG, "layer2.0.weight_orig"],
      [G, plainG, "self_attntion1.value_conv.weight"],
      [D, plainD, "last.weight"],
    ] as const) {
      expect(Array.from(m.stateDict()[key].dataSync()), key).toEqual(Array.from(plain.stateDict()[key].dataSync()));
    }
    for (const m of [G, plainG, D, plainD]) m.dispose();
  });

  it("keeps the plugin slots: `normalize` covers the convolutions (the projection stays spectrally normalised), `attention` the blocks", () => {
    const seen: string[] = [];
    const D = createDiscriminator({
      width: 2,
      seed: 2,
      numClasses: 3,
      normalize: (layer) => {
        seen.push(layer.constructor.name);
        return layer;
      },
    });
    expect(seen).toEqual(["Conv2d", "Conv2d", "Conv2d", "Conv2d"]);
    const keys = Object.keys(D.stateDict());
    expect(keys).toContain("layer1.0.weight");
    expect(keys.filter((k) => k.startsWith("embed."))).toEqual(["embed.weight_orig", "embed.weight_u", "embed.weight_v"]);
    const x = tf.zeros([2, 64, 64, 1]) as tf.Tensor4D;
    const y = labels([0, 2]);
    const { logits } = D.forward(x, { labels: y });
    expect(logits.shape).toEqual([2]);
    tf.dispose([x, y, logits]);
    D.dispose();
  });

  it("the flexible classes take numClasses with every layout (working size 32, latent gap, attention elsewhere)", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 2, workingSize: 32, latentGap: {}, attentionAfter: [2] });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 2, workingSize: 32, attentionAfter: [2] });
    expect(G).toBeInstanceOf(FlexibleSaganGenerator);
    expect(D).toBeInstanceOf(FlexibleSaganDiscriminator);
    expect(G.layer4).toBeUndefined();
    expect(Object.keys(G.stateDict())).toContain("layer3.1.gamma_embed.weight");
    expect(Object.keys(D.stateDict())).toContain("embed.weight_orig");
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 1);
    const y = labels([1, 0]);
    const { images, attentionMaps } = G.forward(z, { labels: y });
    expect(images.shape).toEqual([2, 64, 64, 1]);
    const { logits } = D.forward(images, { labels: y, attentionMaps: false });
    expect(logits.shape).toEqual([2]);
    tf.dispose([z, y, images, logits, ...attentionMaps]);
    G.dispose();
    D.dispose();
  });

  it("the labels matter: another class gives other images and other logits; the same class the same", () => {
    const G = createGenerator({ width: 2, seed: 3, numClasses: 3 }).eval();
    const D = createDiscriminator({ width: 2, seed: 4, numClasses: 3 }).eval();
    // Per-class scales and shifts, and an embedding, that differ between classes by more than dcganInit's N(1, 0.02).
    tf.tidy(() => {
      for (const [, m] of G.namedModules()) {
        if (m instanceof ConditionalBatchNorm2d) m.betaEmbed.getParameter("weight").assign(tf.randomNormal(m.betaEmbed.getParameter("weight").shape, 0, 1, "float32", 5));
      }
    });
    const z = tf.tidy(() => tf.tile(tf.randomNormal([1, 20], 0, 1, "float32", 6), [3, 1]));
    const y = labels([0, 1, 0]);
    const { images } = G.forward(z, { labels: y, attentionMaps: false });
    const [a, b, c] = tf.unstack(images);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    expect(tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]).toBe(0);
    const same = tf.tidy(() => tf.tile(tf.slice(images, [0, 0, 0, 0], [1, 64, 64, 1]), [3, 1, 1, 1])) as tf.Tensor4D;
    const { logits } = D.forward(same, { labels: y, attentionMaps: false });
    const [l0, l1, l2] = Array.from(logits.dataSync());
    expect(l0).toBe(l2);
    expect(l0).not.toBe(l1);
    tf.dispose([z, y, images, a, b, c, same, logits]);
    G.dispose();
    D.dispose();
  });

  it("missing or bad labels are errors naming the model; unconditional models ignore labels", () => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3 });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3 });
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 1);
    const x = tf.zeros([2, 64, 64, 1]) as tf.Tensor4D;
    const flexible = createGenerator({ width: 2, seed: 1, numClasses: 3, workingSize: 32, attentionAfter: [3] });
    const before = tf.memory().numTensors; // failed forwards leave nothing behind
    expect(() => G.forward(z)).toThrow(/SaganGenerator.forward: labels are required: the model is conditional on 3 classes/);
    expect(() => D.forward(x, { attentionMaps: false })).toThrow(/SaganDiscriminator.forward: labels are required/);
    const bad = labels([0, 3]);
    expect(() => G.forward(z, { labels: bad })).toThrow(/SaganGenerator.forward: label 3 at index 1 is out of range \[0, 3\)/);
    expect(() => D.forward(x, { labels: bad })).toThrow(/SaganDiscriminator.forward: label 3 at index 1 is out of range \[0, 3\)/);
    const short = labels([0]);
    expect(() => G.forward(z, { labels: short })).toThrow(/labels must be \[2\] \(one per sample\), got \[1\]/);
    expect(() => flexible.forward(z)).toThrow(/FlexibleSaganGenerator.forward: labels are required/);
    expect(tf.memory().numTensors).toBe(before + 2); // bad, short
    expect(() => createGenerator({ numClasses: 0 })).toThrow(/SaganGenerator: option 'numClasses' must be an integer in \[1, 1000\], got 0/);
    expect(() => createDiscriminator({ numClasses: 2.5, workingSize: 32 })).toThrow(/FlexibleSaganDiscriminator: option 'numClasses' must be an integer/);

    const plain = createGenerator({ width: 2, seed: 1 }).eval();
    const withLabels = plain.forward(z, { labels: bad, attentionMaps: false }).images;
    const without = plain.forward(z, { attentionMaps: false }).images;
    expect(tf.max(tf.abs(tf.sub(withLabels, without))).dataSync()[0]).toBe(0);
    tf.dispose([z, x, bad, short, withLabels, without]);
    for (const m of [G, D, flexible, plain]) m.dispose();
  });

  it.each([
    ["the article's classes", {}],
    ["the flexible classes (working size 32, latent gap)", { workingSize: 32 as const, latentGap: {} }],
  ])("20 conditional iterations (D step on real and fake, then G step) leave the tensor count flat: %s", (_, extra) => {
    const G = createGenerator({ width: 2, seed: 1, numClasses: 3, attentionAfter: [2, 3], ...extra });
    const D = createDiscriminator({ width: 2, seed: 2, numClasses: 3, ...("workingSize" in extra ? { workingSize: 32 as const } : {}) });
    const real = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 3) as tf.Tensor4D;
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 4);
    const yReal = labels([2, 0]);
    const yFake = labels([1, 1]);
    const iteration = () => {
      const dStep = tf.variableGrads(() => {
        const fake = G.forward(z, { labels: yFake, attentionMaps: false });
        return hinge.discriminatorLoss(
          D.forward(real, { labels: yReal, attentionMaps: false }).logits,
          D.forward(fake.images, { labels: yFake, attentionMaps: false }).logits,
        );
      }, D.parameters());
      const gStep = tf.variableGrads(
        () => hinge.generatorLoss(D.forward(G.forward(z, { labels: yFake }).images, { labels: yFake }).logits),
        G.parameters(),
      );
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
