// The article's classes, the flexible variants and the factories that choose between them. Outputs and state
// dicts are checked against fixtures/variants-before.json, recorded with the classes as they were before the
// variants were split out of the article's classes (same configs, seeds and inputs), so runs and checkpoints
// made before keep loading and reproducing.
import { readFileSync } from "node:fs";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  FlexibleSaganDiscriminator,
  FlexibleSaganGenerator,
  SaganDiscriminator,
  SaganGenerator,
  type SaganConfig,
  createDiscriminator,
  createGenerator,
} from "./index";

const before = JSON.parse(readFileSync(new URL("../fixtures/variants-before.json", import.meta.url), "utf8"));
const id = (layer: unknown) => layer as never;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Sums and the first values of a tensor, as the fixture records them. */
function digest(t: tf.Tensor) {
  const d = t.dataSync();
  let sum = 0;
  let abs = 0;
  let weighted = 0;
  for (let i = 0; i < d.length; i++) {
    sum += d[i];
    abs += Math.abs(d[i]);
    weighted += d[i] * ((i % 97) - 48);
  }
  return { shape: t.shape, sum, abs, weighted, head: Array.from(d.slice(0, 8)) };
}

const state = (m: { stateDict(): Record<string, tf.Tensor> }) => Object.entries(m.stateDict()).map(([k, v]) => [k, digest(v)]);

const GENERATORS: Array<[string, SaganConfig, typeof SaganGenerator | typeof FlexibleSaganGenerator]> = [
  ["reference", {}, SaganGenerator],
  ["noSpectralNorm", { normalize: id }, SaganGenerator],
  ["after3", { attentionAfter: [3] }, FlexibleSaganGenerator],
  ["after12", { attentionAfter: [2, 1] }, FlexibleSaganGenerator],
  ["working32", { workingSize: 32, attentionAfter: [3] }, FlexibleSaganGenerator],
  ["gap", { latentGap: {} }, FlexibleSaganGenerator],
  ["demo", { workingSize: 32, latentGap: { dims: 1, gap: 2, scale: 0.5 }, attentionAfter: [3], normalize: id }, FlexibleSaganGenerator],
  ["pytorchInit", { init: "pytorch" }, SaganGenerator],
  ["rgbZ8", { channels: 3, zDim: 8 }, SaganGenerator],
];

const DISCRIMINATORS: Array<[string, SaganConfig, typeof SaganDiscriminator | typeof FlexibleSaganDiscriminator]> = [
  ["reference", {}, SaganDiscriminator],
  ["working32NoAttention", { workingSize: 32, attentionAfter: [] }, FlexibleSaganDiscriminator],
  ["working32", { workingSize: 32 }, FlexibleSaganDiscriminator],
  ["after3", { attentionAfter: [3] }, FlexibleSaganDiscriminator],
  ["after1", { attentionAfter: [1] }, FlexibleSaganDiscriminator],
];

describe("createGenerator", () => {
  it.each(GENERATORS)("%s: picks the right class and keeps the weights, state dict and outputs of before", (name, config, cls) => {
    const G = createGenerator({ width: 4, seed: 7, ...config });
    expect(G).toBeInstanceOf(cls);
    const z = tf.randomNormal([2, config.zDim ?? 20], 0, 1, "float32", 11);
    const train = G.forward(z);
    G.eval();
    const evaluated = G.forward(z);
    const expected = before[`G.${name}`];
    expect(digest(train.images)).toEqual(expected.train);
    expect(digest(evaluated.images)).toEqual(expected.eval);
    expect(evaluated.attentionMaps.map(digest)).toEqual(expected.maps);
    expect(state(G)).toEqual(expected.state);
    tf.dispose([z, train, evaluated] as never);
    G.dispose();
  });

  it("builds the same weights through the flexible class with the reference layout", () => {
    const a = new SaganGenerator({ width: 4, seed: 3 });
    const b = new FlexibleSaganGenerator({ width: 4, seed: 3, attentionAfter: [4, 3], workingSize: 64 });
    expect(createGenerator({ width: 4, attentionAfter: [4, 3], workingSize: 64 })).toBeInstanceOf(SaganGenerator);
    expect(state(b)).toEqual(state(a));
    a.dispose();
    b.dispose();
  });
});

describe("createDiscriminator", () => {
  it.each(DISCRIMINATORS)("%s: picks the right class and keeps the weights, state dict and outputs of before", (name, config, cls) => {
    const D = createDiscriminator({ width: 4, seed: 8, ...config });
    expect(D).toBeInstanceOf(cls);
    const x = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 12) as tf.Tensor4D;
    const train = D.forward(x);
    D.eval();
    const evaluated = D.forward(x);
    const expected = before[`D.${name}`];
    expect(digest(train.logits)).toEqual(expected.train);
    expect(digest(evaluated.logits)).toEqual(expected.eval);
    expect(evaluated.attentionMaps.map(digest)).toEqual(expected.maps);
    expect(state(D)).toEqual(expected.state);
    tf.dispose([x, train, evaluated] as never);
    D.dispose();
  });

  it("adds the minibatch standard deviation before the last layer with minibatchStd, and only to the discriminator", () => {
    const D = createDiscriminator({ width: 4, seed: 8, workingSize: 32, attentionAfter: [], minibatchStd: 4 }) as FlexibleSaganDiscriminator;
    expect(D).toBeInstanceOf(FlexibleSaganDiscriminator);
    expect(D.minibatchStd?.groupSize).toBe(4);
    // last reads the 8w feature channels and the added one; the layer itself has no parameters.
    expect(D.last.inChannels).toBe(4 * 8 + 1);
    expect(Object.keys(D.stateDict()).filter((k) => k.startsWith("minibatchStd"))).toEqual([]);
    const x = tf.randomUniform([8, 64, 64, 1], -1, 1, "float32", 12) as tf.Tensor4D;
    const { logits } = D.forward(x, { attentionMaps: false });
    expect(logits.shape).toEqual([8]);
    // A batch of one image repeated has no spread: the logits differ from those of the same image among others.
    const copies = tf.tile(tf.slice(x, [0], [1]), [8, 1, 1, 1]) as tf.Tensor4D;
    const alone = D.forward(copies, { attentionMaps: false }).logits.dataSync()[0];
    expect(Math.abs(alone - logits.dataSync()[0])).toBeGreaterThan(1e-4);
    // The same weights for the same seed as without it, apart from last.
    const plain = createDiscriminator({ width: 4, seed: 8, workingSize: 32, attentionAfter: [] });
    expect(Array.from(plain.stateDict()["layer2.0.weight_orig"].dataSync())).toEqual(Array.from(D.stateDict()["layer2.0.weight_orig"].dataSync()));
    expect(() => createGenerator({ width: 2, minibatchStd: 4 })).toThrow(/FlexibleSaganGenerator: option 'minibatchStd' belongs to the discriminator/);
    expect(() => createDiscriminator({ width: 2, minibatchStd: 1 })).toThrow(/option 'minibatchStd' must be a group size, an integer >= 2, got 1/);
    expect(() => new SaganDiscriminator({ width: 2, minibatchStd: 4 } as never)).toThrow(/SaganDiscriminator: option 'minibatchStd' .* FlexibleSaganDiscriminator/);
    tf.dispose([x, copies, logits]);
    D.dispose();
    plain.dispose();
  });

  it("scores packs of images with pack: the net of 3-channel images on the stacked triples, each image given its pack's logit", () => {
    for (const workingSize of [64, 32] as const) {
      const D = createDiscriminator({ width: 4, seed: 8, workingSize, attentionAfter: [3], pack: 3 }) as FlexibleSaganDiscriminator;
      expect(D).toBeInstanceOf(FlexibleSaganDiscriminator);
      expect(D.packing?.pack).toBe(3);
      // A discriminator of RGB images has the packed one's shapes; given its weights, it must score the stacks alike.
      const rgb = createDiscriminator({ width: 4, seed: 8, workingSize, attentionAfter: [3], channels: 3 });
      rgb.loadStateDict(D.stateDict());
      const x = tf.randomUniform([5, 64, 64, 1], -1, 1, "float32", 13) as tf.Tensor4D;
      const { logits, attentionMaps } = D.forward(x);
      expect(logits.shape).toEqual([5]);
      expect(attentionMaps.map((m) => m.shape)).toEqual([[5, 64, 64]]);
      const image = (n: number) => tf.slice(x, [n], [1]);
      // The second pack is images 3 and 4 completed with image 0, the batch's first.
      const stacks = tf.concat([tf.concat([image(0), image(1), image(2)], 3), tf.concat([image(3), image(4), image(0)], 3)]) as tf.Tensor4D;
      const expected = rgb.forward(stacks, { attentionMaps: false }).logits.dataSync();
      const got = logits.dataSync();
      for (const [i, pack] of [0, 0, 0, 1, 1].entries()) expect(got[i]).toBeCloseTo(expected[pack], 5);
      // Training through the packs: gradients reach the first convolution, and nothing is left behind.
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.mean(D.forward(x, { attentionMaps: false }).logits) as tf.Scalar);
      const firstName = workingSize === 64 ? "layer1.0.weight_orig" : "layer2.0.weight_orig";
      const first = D.namedParameters().find(([name]) => name === firstName)?.[1];
      expect(first?.shape.includes(3), `${firstName} reads pack · channels = 3 channels`).toBe(true);
      const grad = grads[(first as tf.Variable).name];
      expect(tf.tidy(() => tf.any(tf.notEqual(grad, 0)).dataSync()[0])).toBe(1);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, logits, ...attentionMaps, stacks]);
      D.dispose();
      rgb.dispose();
    }
    expect(() => createGenerator({ width: 2, pack: 2 })).toThrow(/FlexibleSaganGenerator: option 'pack' belongs to the discriminator/);
    expect(() => createDiscriminator({ width: 2, pack: 1 })).toThrow(/option 'pack' must be the samples per pack, an integer in \[2, 16\], got 1/);
    expect(() => createDiscriminator({ width: 2, pack: 2, numClasses: 10 })).toThrow(/option 'pack' needs an unconditional discriminator/);
    expect(() => new SaganDiscriminator({ width: 2, pack: 2 } as never)).toThrow(/SaganDiscriminator: option 'pack' .* FlexibleSaganDiscriminator/);
  });

  it("refuses the generator's latent gap, naming the option", () => {
    expect(() => createDiscriminator({ width: 2, latentGap: {} })).toThrow(/FlexibleSaganDiscriminator: option 'latentGap' belongs to the generator/);
    expect(() => new SaganDiscriminator({ width: 2, latentGap: {} } as never)).toThrow(/SaganDiscriminator: option 'latentGap' belongs to the generator/);
  });
});

describe("the article's classes", () => {
  it("have the article's modules in the article's order", () => {
    const G = new SaganGenerator({ width: 2 });
    const D = new SaganDiscriminator({ width: 2 });
    const order = ["layer1", "layer2", "layer3", "self_attntion1", "layer4", "self_attntion2", "last"];
    for (const model of [G, D]) {
      const top = [...new Set(Object.keys(model.stateDict()).map((k) => k.split(".")[0]))];
      expect(top).toEqual(order);
    }
    expect(Object.keys(G.stateDict())).toEqual([
      ...["layer1", "layer2", "layer3"].flatMap((l) => SN_BLOCK.map((k) => `${l}.${k}`)),
      ...ATTENTION.map((k) => `self_attntion1.${k}`),
      ...SN_BLOCK.map((k) => `layer4.${k}`),
      ...ATTENTION.map((k) => `self_attntion2.${k}`),
      "last.0.weight",
      "last.0.bias",
    ]);
    expect(G.attentions.get(3)).toBe(G.selfAttention1);
    expect(D.attentions.get(4)).toBe(D.selfAttention2);
    G.dispose();
    D.dispose();
  });

  it("refuse the variants' layout options, naming the option and the variant", () => {
    expect(() => new SaganGenerator({ workingSize: 32 } as never)).toThrow(
      /SaganGenerator: option 'workingSize' is not part of the article's model; it belongs to FlexibleSaganGenerator/,
    );
    expect(() => new SaganGenerator({ latentGap: {} } as never)).toThrow(/SaganGenerator: option 'latentGap' .* FlexibleSaganGenerator/);
    expect(() => new SaganDiscriminator({ attentionAfter: [3] } as never)).toThrow(
      /SaganDiscriminator: option 'attentionAfter' .* FlexibleSaganDiscriminator/,
    );
    expect(() => new SaganGenerator({ width: 2, imageSize: 64 } as never)).toThrow(/SaganGenerator: unknown option 'imageSize'/);
  });
});

describe("forward(x, { attentionMaps })", () => {
  it.each([
    ["the article's classes", {}],
    ["the flexible classes", { workingSize: 32, attentionAfter: [3] }],
  ] as Array<[string, SaganConfig]>)("%s return maps by default and none with attentionMaps: false, with the same outputs", (_, layout) => {
    const G = createGenerator({ width: 2, seed: 1, ...layout });
    const D = createDiscriminator({ width: 2, seed: 2, ...layout });
    G.eval();
    D.eval();
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 3);
    const g = G.forward(z);
    const gOff = G.forward(z, { attentionMaps: false });
    const gOn = G.forward(z, { attentionMaps: true });
    expect(g.attentionMaps.length).toBeGreaterThan(0);
    expect(gOn.attentionMaps.length).toBe(g.attentionMaps.length);
    expect(gOff.attentionMaps).toEqual([]);
    expect(gOff.images.dataSync()).toEqual(g.images.dataSync());
    const d = D.forward(g.images);
    const dOff = D.forward(g.images, { attentionMaps: false });
    expect(d.attentionMaps.length).toBeGreaterThan(0);
    expect(dOff.attentionMaps).toEqual([]);
    expect(dOff.logits.dataSync()).toEqual(d.logits.dataSync());
    expect(() => G.forward(z, { attentionMaps: "no" as never })).toThrow(/option 'attentionMaps' must be a boolean/);
    tf.dispose([z, g, gOff, gOn, d, dOff] as never);
    G.dispose();
    D.dispose();
  });

  it("leaves no tensor behind with attentionMaps: false", () => {
    const G = createGenerator({ width: 2, seed: 1 });
    const z = tf.randomNormal([1, 20]);
    const run = () => G.forward(z, { attentionMaps: false }).images.dispose();
    run();
    const count = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(count);
    z.dispose();
    G.dispose();
  });
});

const SN_BLOCK = [
  "0.bias",
  "0.weight_orig",
  "0.weight_u",
  "0.weight_v",
  "1.weight",
  "1.bias",
  "1.running_mean",
  "1.running_var",
  "1.num_batches_tracked",
];
const ATTENTION = ["gamma", "query_conv.weight", "query_conv.bias", "key_conv.weight", "key_conv.bias", "value_conv.weight", "value_conv.bias"];
