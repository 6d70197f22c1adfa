import { createDiscriminator as createDcganDiscriminator, createGenerator as createDcganGenerator } from "@gan/dcgan";
import { LatentGap, getLayer } from "@gan/layers";
import { type AttentionFactory, type NormalizableLayer, createDiscriminator, createGenerator } from "@gan/sagan";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";

/** The model families a recipe can name. */
export const MODELS = ["dcgan", "sagan"] as const;
/** A model family. */
export type ModelName = (typeof MODELS)[number];

/** A latent gap as recorded in a run's `config.json` and the web manifest (see `LatentGap` of `@gan/layers`). */
export interface LatentGapSpec {
  dims: number;
  gap: number;
  scale: number;
}

/**
 * A generator and discriminator pair described as data: what a recipe names and what `gan train` records in
 * `config.json` (`extra.model`) so that `gan sample` and `--resume` rebuild the same nets. Optional fields are
 * absent for the article's defaults.
 */
export interface ModelSpec {
  /** `dcgan` or `sagan`. */
  model: ModelName;
  /** Latent code size (the article: 20). */
  zDim: number;
  /** Width multiplier (the article's `image_size`: 64). */
  width: number;
  /** Image channels: 1 (the article's grayscale digits) or 3. */
  channels: 1 | 3;
  /** Seed of the weights' initialisation (the generator's; the discriminator's is `seed + 1`). */
  seed: number;
  /** Name of a layer registered with `registerLayer` to use as attention (SAGAN only; default the article's). */
  attention?: string;
  /** After which of layers 1–4 both SAGAN nets put an attention block (default `[3, 4]`, the article). */
  attentionAfter?: number[];
  /** The discriminator's attention layers when they differ from {@link ModelSpec.attentionAfter} (`[]`: none). */
  discriminatorAttentionAfter?: number[];
  /** Spectral normalisation in SAGAN's generator (default `true`, the article); `false` leaves it out. */
  generatorSpectralNorm?: boolean;
  /** The side both SAGAN nets work at: 64 (the article) or 32 (`SaganConfig.workingSize`). */
  workingSize?: 32 | 64;
  /** A latent prior with separate modes for the generator (`GeneratorConfig.latentGap`); absent: normal codes. */
  latentGap?: LatentGapSpec;
  /**
   * SAGAN's discriminator measures how much the samples of each group of this many differ, before its last
   * convolution (`SaganConfig.minibatchStd`, `MinibatchStdDev` of `@gan/layers`); absent: no such layer, as the
   * article.
   */
  discriminatorMinibatchStd?: number;
  /**
   * SAGAN's discriminator scores packs of this many consecutive images, stacked along the channels (PacGAN,
   * `SaganConfig.pack`, `PackSamples` of `@gan/layers`); unconditional models only. Absent: one image at a time,
   * as the article.
   */
  discriminatorPack?: number;
  /**
   * Class-conditional nets over this many classes (`numClasses` of the factories, at most
   * `MODEL_LIMITS.maxClasses`): conditional BatchNorm in the generator, a projection head in the discriminator;
   * both then take `{ labels }`. Absent: the unconditional nets.
   */
  numClasses?: number;
  /**
   * A conditional model whose {@link ModelSpec.numClasses} comes from the data: `trainRecipe` (and `gan train
   * --conditional`) open the image folder with its class sub-folders as labels and record their count as
   * `numClasses`. {@link buildModels} needs `numClasses` itself.
   */
  conditional?: boolean;
}

/** Whether a model description asks for class-conditional nets (`numClasses` given or `conditional: true`). */
export function isConditional(spec: Pick<ModelSpec, "numClasses" | "conditional">): boolean {
  return spec.numClasses !== undefined || spec.conditional === true;
}

/** A latent gap spec over the first `dims` coordinates with `LatentGap`'s defaults filled in. */
export function latentGapSpec(dims: number): LatentGapSpec {
  const layer = new LatentGap({ dims });
  return { dims: layer.dims, gap: layer.gap, scale: layer.scale };
}

/**
 * Builds the generator and discriminator a {@link ModelSpec} describes. Errors name the field and what was
 * expected (an option of one family given to the other, bad attention layers, an unknown attention layer).
 */
export function buildModels(spec: ModelSpec): { generator: GanGenerator; discriminator: GanDiscriminator } {
  if (!(spec.model === "dcgan" || spec.model === "sagan")) {
    throw new Error(`model: expected one of ${MODELS.join(", ")}, got ${JSON.stringify(spec.model)}`);
  }
  if (spec.conditional === true && spec.numClasses === undefined) {
    throw new Error("numClasses: a conditional model (conditional: true) needs its number of classes; trainRecipe and 'gan train --conditional' take it from the data's class sub-folders");
  }
  if (spec.conditional === false && spec.numClasses !== undefined) throw new Error("numClasses: given with conditional: false");
  const base = { zDim: spec.zDim, width: spec.width, channels: spec.channels, ...(spec.numClasses !== undefined ? { numClasses: spec.numClasses } : {}) };
  if (spec.model === "dcgan") {
    for (const key of ["attention", "attentionAfter", "discriminatorAttentionAfter", "generatorSpectralNorm", "discriminatorMinibatchStd", "discriminatorPack"] as const) {
      if (spec[key] !== undefined) throw new Error(`${key}: applies to sagan only, not to dcgan`);
    }
    if (spec.workingSize !== undefined && spec.workingSize !== 64) throw new Error("workingSize: applies to sagan only, not to dcgan");
    return {
      generator: createDcganGenerator({ ...base, seed: spec.seed, ...(spec.latentGap ? { latentGap: spec.latentGap } : {}) }),
      discriminator: createDcganDiscriminator({ ...base, seed: spec.seed + 1 }),
    };
  }
  for (const [key, after] of [
    ["attentionAfter", spec.attentionAfter],
    ["discriminatorAttentionAfter", spec.discriminatorAttentionAfter],
  ] as const) {
    if (after && !(after.every((i) => Number.isInteger(i) && i >= 1 && i <= 4) && new Set(after).size === after.length)) {
      throw new Error(`${key}: expected distinct layers among 1, 2, 3, 4, got ${after.join(",")}`);
    }
  }
  const plugin = spec.attention ? { attention: getLayer(spec.attention) as AttentionFactory } : {};
  const gAfter = spec.attentionAfter;
  const dAfter = spec.discriminatorAttentionAfter ?? spec.attentionAfter;
  const gNormalize = spec.generatorSpectralNorm === false ? { normalize: (layer: NormalizableLayer) => layer } : {};
  const size = spec.workingSize ? { workingSize: spec.workingSize } : {};
  const gap = spec.latentGap ? { latentGap: spec.latentGap } : {};
  const generator = createGenerator({ ...base, ...size, ...gap, seed: spec.seed, ...plugin, ...gNormalize, ...(gAfter ? { attentionAfter: gAfter } : {}) });
  const std = spec.discriminatorMinibatchStd !== undefined ? { minibatchStd: spec.discriminatorMinibatchStd } : {};
  if (spec.discriminatorPack !== undefined && spec.numClasses !== undefined) {
    throw new Error("discriminatorPack: applies to unconditional models only (a pack's images may have different labels)");
  }
  const pack = spec.discriminatorPack !== undefined ? { pack: spec.discriminatorPack } : {};
  const discriminator = createDiscriminator({ ...base, ...size, ...std, ...pack, seed: spec.seed + 1, ...plugin, ...(dAfter ? { attentionAfter: dAfter } : {}) });
  return { generator, discriminator };
}
