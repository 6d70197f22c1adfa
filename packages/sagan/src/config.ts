import {
  BatchNorm2d,
  type ConditionalConfig,
  ConditionalBatchNorm2d,
  type GeneratorConfig,
  type Layer4D,
  type LatentGap,
  type ModelConfig,
  Module,
  ProjectionHead,
  type Random,
  type ResolvedModelConfig,
  SelfAttention2d,
  type WeightedModule,
  resolveLatentGap,
  resolveModelConfig,
  resolveNumClasses,
  spectralNorm,
} from "@gan/layers";
import type { AttentionLayer } from "@gan/spec";

/** An attention block for SAGAN's attention slots: a {@link Module} with the {@link AttentionLayer} contract. */
export type AttentionModule = Module & AttentionLayer;

/**
 * Builds the attention block that follows a layer with `channels` channels. `random` is the model's random
 * source, for reproducible initialisation. The default is `new SelfAttention2d(channels, { random })`.
 */
export type AttentionFactory = (channels: number, random: Random) => AttentionModule;

/**
 * Wraps a convolution (or transposed convolution) of the model. The default applies spectral normalisation
 * (`spectralNorm(layer, { random })`); `(layer) => layer` turns normalisation off.
 */
export type NormalizeFn = (layer: NormalizableLayer, random: Random) => Layer4D;

/** What the `normalize` slot receives: a `Conv2d` or `ConvTranspose2d` (a weighted NHWC → NHWC layer). */
export type NormalizableLayer = WeightedModule & Layer4D;

/**
 * Options of the article's {@link SaganGenerator} and {@link SaganDiscriminator}: the shared model options
 * (`zDim`, `width`, `channels`, `init`, `seed`/`random`), the article's two slots for custom layers, and
 * `numClasses` for the class-conditional nets ({@link ConditionalConfig}: conditional BatchNorm in the generator, a
 * spectrally normalised projection head in the discriminator).
 */
export interface SaganReferenceConfig extends ModelConfig, ConditionalConfig {
  /** The attention block (default: the reference's self-attention, {@link SelfAttention2d}). */
  attention?: AttentionFactory;
  /**
   * Applied to every convolution except the generator's last transposed convolution and the discriminator's
   * last convolution, as in the reference (default: spectral normalisation; `(layer) => layer` turns it off).
   */
  normalize?: NormalizeFn;
}

/**
 * Every option of the SAGAN nets: the reference's ({@link SaganReferenceConfig}) and the variants' layout
 * options (`attentionAfter`, `workingSize`, the generator's `latentGap`, which the discriminators refuse).
 * `createGenerator`/`createDiscriminator` build the article's classes when the layout is the reference's, else
 * {@link FlexibleSaganGenerator}/{@link FlexibleSaganDiscriminator}.
 */
export interface SaganConfig extends SaganReferenceConfig, GeneratorConfig {
  /**
   * After which of the layers 1–4 an attention block comes (default `[3, 4]`, the reference). The blocks are
   * named `self_attntion1`, `self_attntion2`, ... in layer order (the reference's spelling, for state-dict
   * compatibility).
   */
  attentionAfter?: number[];
  /**
   * The side the nets work at: 64 (default, the reference) or 32. At 32 the generator has no `layer4` (its `last`
   * transposed convolution draws a 32×32 image from `layer3`'s 16×16 features, which `Upsample2d` turns into
   * 64×64 bilinearly) and the discriminator has no `layer1` (it averages 2×2 blocks of its 64×64 input, and
   * `layer2` reads the image channels): images in and out stay 64×64, a training step costs about a quarter less,
   * and attention after layer 4 (generator) or layer 1 (discriminator) does not exist. For data whose detail fits
   * 32×32, such as MNIST's 28×28 digits.
   */
  workingSize?: 32 | 64;
  /**
   * Discriminator only: a {@link MinibatchStdDev} with groups of this many samples before `last`, whose input
   * gains one channel (Karras et al. 2018; StyleGAN2 uses 4). It shows the discriminator how much the samples of
   * a batch differ, against a generator that draws too few kinds of image. Default: none, as the reference.
   */
  minibatchStd?: number;
  /**
   * Discriminator only, unconditional only: score packs of this many consecutive samples, stacked along the
   * channels ({@link PackSamples}; PacGAN, Lin et al. 2018), so the first convolution reads `pack·channels`
   * channels and each image gets its pack's logit. Against a generator that draws some kinds of image too
   * rarely. Default: none (packs of one), as the reference.
   */
  pack?: number;
}

/** A {@link SaganConfig} with every default filled in. */
export interface ResolvedSaganConfig extends ResolvedModelConfig {
  attention: AttentionFactory;
  normalize: NormalizeFn;
  /** Number of classes of a conditional model; undefined: unconditional. */
  numClasses: number | undefined;
  /** Distinct layer numbers, ascending. */
  attentionAfter: number[];
  workingSize: 32 | 64;
  /** The latent gap of the generator, or undefined. */
  latentGap: LatentGap | undefined;
  /** The discriminator's minibatch standard deviation group size, or undefined. */
  minibatchStd: number | undefined;
  /** The discriminator's samples per pack, or undefined (no packing). */
  pack: number | undefined;
}

/** A {@link SaganReferenceConfig} with every default filled in. */
export interface ResolvedSaganReferenceConfig extends ResolvedModelConfig {
  attention: AttentionFactory;
  normalize: NormalizeFn;
  /** Number of classes of a conditional model; undefined: unconditional. */
  numClasses: number | undefined;
}

/** The options only the variants take; the article's classes refuse them. */
export const VARIANT_OPTIONS = ["attentionAfter", "workingSize", "latentGap", "minibatchStd", "pack"] as const;

const defaultAttention: AttentionFactory = (channels, random) => new SelfAttention2d(channels, { random });
const defaultNormalize: NormalizeFn = (layer, random) => spectralNorm(layer, { random });

/**
 * Checks the options of the article's classes and fills in the defaults; `where` names the caller in error
 * messages. A variant option (`attentionAfter`, `workingSize`, `latentGap`) is reported, naming the variant class.
 */
export function resolveSaganReferenceConfig(config: SaganReferenceConfig, where: string, variant: string): ResolvedSaganReferenceConfig {
  if (typeof config === "object" && config !== null) {
    for (const key of VARIANT_OPTIONS) {
      if ((config as SaganConfig)[key] !== undefined) {
        throw new Error(`${where}: option '${key}' is not part of the article's model; it belongs to ${variant} (or use createGenerator/createDiscriminator)`);
      }
    }
  }
  return resolvePlugins(config, resolveModelConfig(config, where, ["attention", "normalize", "numClasses", ...VARIANT_OPTIONS]), where);
}

function resolvePlugins(config: SaganReferenceConfig, base: ResolvedModelConfig, where: string): ResolvedSaganReferenceConfig {
  const attention = config.attention ?? defaultAttention;
  const normalize = config.normalize ?? defaultNormalize;
  for (const [name, fn] of [["attention", attention], ["normalize", normalize]] as const) {
    if (typeof fn !== "function") throw new Error(`${where}: option '${name}' must be a function, got ${typeof fn}`);
  }
  return { ...base, attention, normalize, numClasses: resolveNumClasses(config.numClasses, where) };
}

/** Checks every option of the variants and fills in the defaults; `where` names the caller in error messages. */
export function resolveSaganConfig(config: SaganConfig, where: string): ResolvedSaganConfig {
  const base = resolveModelConfig(config, where, ["attention", "normalize", "numClasses", ...VARIANT_OPTIONS]);
  const { attention, normalize, numClasses } = resolvePlugins(config, base, where);
  const after = config.attentionAfter ?? [3, 4];
  if (
    !Array.isArray(after) ||
    !after.every((i) => Number.isInteger(i) && i >= 1 && i <= 4) ||
    new Set(after).size !== after.length
  ) {
    throw new Error(`${where}: option 'attentionAfter' must list distinct layers among 1, 2, 3, 4, got ${JSON.stringify(after)}`);
  }
  const workingSize = config.workingSize ?? 64;
  if (workingSize !== 32 && workingSize !== 64) {
    throw new Error(`${where}: option 'workingSize' must be 32 or 64, got ${JSON.stringify(config.workingSize)}`);
  }
  const latentGap = resolveLatentGap(config.latentGap, base.zDim, where);
  const minibatchStd = config.minibatchStd;
  if (minibatchStd !== undefined && !(Number.isInteger(minibatchStd) && minibatchStd >= 2)) {
    throw new Error(`${where}: option 'minibatchStd' must be a group size, an integer >= 2, got ${JSON.stringify(minibatchStd)}`);
  }
  const pack = config.pack;
  if (pack !== undefined && !(Number.isInteger(pack) && pack >= 2 && pack <= 16)) {
    throw new Error(`${where}: option 'pack' must be the samples per pack, an integer in [2, 16], got ${JSON.stringify(pack)}`);
  }
  if (pack !== undefined && numClasses !== undefined) {
    throw new Error(`${where}: option 'pack' needs an unconditional discriminator (a pack's samples may have different labels), got numClasses ${numClasses}`);
  }
  return { ...base, attention, normalize, numClasses, attentionAfter: [...after].sort((a, b) => a - b), workingSize, latentGap, minibatchStd, pack };
}

/** Throws, naming `where`, when a generator's config has the discriminator's `minibatchStd` or `pack`. */
export function refuseDiscriminatorOptions(config: SaganConfig, where: string): void {
  if (typeof config === "object" && config !== null && config.minibatchStd !== undefined) {
    throw new Error(`${where}: option 'minibatchStd' belongs to the discriminator (it measures a batch of images)`);
  }
  if (typeof config === "object" && config !== null && config.pack !== undefined) {
    throw new Error(`${where}: option 'pack' belongs to the discriminator (it scores packs of images)`);
  }
}

/** Throws, naming `where`, when a discriminator's config has the generator's `latentGap`. */
export function refuseLatentGap(config: SaganConfig, where: string): void {
  if (typeof config === "object" && config !== null && config.latentGap !== undefined) {
    throw new Error(`${where}: option 'latentGap' belongs to the generator (a discriminator reads no latent codes)`);
  }
}

/** Runs the `normalize` slot, checking that it returned a module. */
export function normalized(normalize: NormalizeFn, layer: NormalizableLayer, random: Random, where: string): Layer4D {
  const out = normalize(layer, random);
  if (!(out instanceof Module)) throw new Error(`${where}: option 'normalize' must return a Module, got ${typeof out}`);
  return out;
}

/** Runs the `attention` slot, checking that it returned a module. */
export function attentionBlock(attention: AttentionFactory, channels: number, random: Random, where: string): AttentionModule {
  const out = attention(channels, random);
  if (!(out instanceof Module) || typeof out.forward !== "function") {
    throw new Error(`${where}: option 'attention' must return a Module with forward(x) → { output, attention? }`);
  }
  return out;
}

/**
 * The normalisation after a generator's transposed convolution: the article's {@link BatchNorm2d}, or a
 * {@link ConditionalBatchNorm2d} (state-dict names `bn.*`, `gamma_embed.weight`, `beta_embed.weight`) when the
 * model is conditional on `numClasses` classes.
 */
export function batchNorm(channels: number, numClasses: number | undefined): BatchNorm2d | ConditionalBatchNorm2d {
  return numClasses === undefined ? new BatchNorm2d(channels) : new ConditionalBatchNorm2d(channels, numClasses);
}

/**
 * The projection head of a conditional discriminator whose last convolution reads `channels` channels at 4×4:
 * a class embedding over those `16·channels` features ({@link ProjectionHead}), spectrally normalised as in the
 * SNGAN and BigGAN projection discriminators (always: the `normalize` slot covers the convolutions).
 */
export function projectionHead(numClasses: number, channels: number, random: Random): ProjectionHead {
  return spectralNorm(new ProjectionHead(numClasses, channels * 4 * 4, { random }), { random });
}
