import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { applyRecipe } from "./apply-recipe";
import { buildModels, type ModelSpec } from "./model-spec";
import { recipes } from "./named-recipes";

const sagan: ModelSpec = { model: "sagan", zDim: 20, width: 4, channels: 1, seed: 0 };
const keys = (m: { stateDict(): Record<string, unknown> }) => Object.keys(m.stateDict());
const spectralNormKeys = (names: string[]) => names.filter((k) => /\.weight_(orig|u|v)$/.test(k));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("buildModels: generatorSpectralNorm", () => {
  it("false builds SAGAN's generator without spectral normalisation; the discriminator keeps it", () => {
    const reference = buildModels(sagan);
    const plain = buildModels({ ...sagan, generatorSpectralNorm: false });
    try {
      expect(keys(reference.generator)).toContain("layer1.0.weight_orig");
      expect(keys(reference.generator)).not.toContain("layer1.0.weight");

      const g = keys(plain.generator);
      expect(g).toContain("layer1.0.weight");
      expect(spectralNormKeys(g)).toEqual([]);
      // Every convolution that had spectral norm now holds a plain weight of the same shape.
      const referenceState = reference.generator.stateDict();
      const plainState = plain.generator.stateDict();
      for (const name of spectralNormKeys(keys(reference.generator)).filter((k) => k.endsWith(".weight_orig"))) {
        expect(plainState[name.replace(/_orig$/, "")]?.shape, name).toEqual(referenceState[name].shape);
      }

      expect(keys(plain.discriminator)).toEqual(keys(reference.discriminator));
      expect(spectralNormKeys(keys(plain.discriminator))).toContain("layer1.0.weight_orig");
      expect(spectralNormKeys(keys(plain.discriminator))).toContain("layer1.0.weight_u");
    } finally {
      for (const m of [reference.generator, reference.discriminator, plain.generator, plain.discriminator]) m.dispose();
    }
  });

  it("true is the reference: the same state dict as leaving it out", () => {
    const reference = buildModels(sagan);
    const explicit = buildModels({ ...sagan, generatorSpectralNorm: true });
    try {
      expect(keys(explicit.generator)).toEqual(keys(reference.generator));
    } finally {
      for (const m of [reference.generator, reference.discriminator, explicit.generator, explicit.discriminator]) m.dispose();
    }
  });

  it("is SAGAN only: a DCGAN with it is an error naming the flag", () => {
    const dcgan: ModelSpec = { ...sagan, model: "dcgan" };
    expect(() => buildModels({ ...dcgan, generatorSpectralNorm: false })).toThrow("generatorSpectralNorm: applies to sagan only, not to dcgan");
    expect(() => buildModels({ ...dcgan, generatorSpectralNorm: true })).toThrow("generatorSpectralNorm: applies to sagan only, not to dcgan");
  });
});

describe("buildModels: discriminatorMinibatchStd", () => {
  it("gives SAGAN's discriminator the layer (its last convolution reads one channel more); the generator is unchanged", () => {
    const reference = buildModels(sagan);
    const std = buildModels({ ...sagan, discriminatorMinibatchStd: 4 });
    try {
      expect(keys(std.generator)).toEqual(keys(reference.generator));
      const [ref, ours] = [reference.discriminator.stateDict()["last.weight"], std.discriminator.stateDict()["last.weight"]];
      expect(ours.shape).toEqual([ref.shape[0], (ref.shape[1] as number) + 1, ref.shape[2], ref.shape[3]]);
      expect((std.discriminator as unknown as { minibatchStd?: { groupSize: number } }).minibatchStd?.groupSize).toBe(4);
      expect(() => buildModels({ ...sagan, model: "dcgan", discriminatorMinibatchStd: 4 })).toThrow("discriminatorMinibatchStd: applies to sagan only, not to dcgan");
    } finally {
      for (const m of [reference.generator, reference.discriminator, std.generator, std.discriminator]) m.dispose();
    }
  });
});

describe("buildModels: discriminatorPack", () => {
  it("gives SAGAN's discriminator packs (its first convolution reads pack × channels); the generator is unchanged", () => {
    const reference = buildModels(sagan);
    const packed = buildModels({ ...sagan, discriminatorPack: 2 });
    try {
      expect(keys(packed.generator)).toEqual(keys(reference.generator));
      const [ref, ours] = [reference.discriminator.stateDict()["layer1.0.weight_orig"], packed.discriminator.stateDict()["layer1.0.weight_orig"]];
      expect(ours.shape).toEqual([ref.shape[0], (ref.shape[1] as number) * 2, ref.shape[2], ref.shape[3]]);
      expect((packed.discriminator as unknown as { packing?: { pack: number } }).packing?.pack).toBe(2);
      expect(() => buildModels({ ...sagan, model: "dcgan", discriminatorPack: 2 })).toThrow("discriminatorPack: applies to sagan only, not to dcgan");
      expect(() => buildModels({ ...sagan, numClasses: 3, discriminatorPack: 2 })).toThrow("discriminatorPack: applies to unconditional models only");
    } finally {
      for (const m of [reference.generator, reference.discriminator, packed.generator, packed.discriminator]) m.dispose();
    }
  });
});

describe("buildModels of a conditional spec", () => {
  it("builds class-conditional nets for numClasses, and asks for it when only conditional is set", () => {
    for (const model of ["dcgan", "sagan"] as const) {
      const { generator, discriminator } = buildModels({ model, zDim: 4, width: 2, channels: 1, seed: 0, numClasses: 3 });
      expect([generator.numClasses, discriminator.numClasses]).toEqual([3, 3]);
      generator.dispose();
      discriminator.dispose();
    }
    expect(() => buildModels({ model: "sagan", zDim: 4, width: 2, channels: 1, seed: 0, conditional: true })).toThrow(/^numClasses: a conditional model \(conditional: true\) needs its number of classes/);
    const run = applyRecipe({ ...recipes.dcgan, model: { ...recipes.dcgan.model, width: 2, conditional: true } }, { numClasses: 4 });
    expect(run.generator.numClasses).toBe(4);
    run.dispose();
  });
});
