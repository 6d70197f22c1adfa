import { LatentGap, type LatentGapOptions } from "./latent-gap";
import { Random, defaultRandom } from "./random";

// The options and checks every model of the toolkit shares (DCGAN's and SAGAN's generators and discriminators),
// kept here so that no model package depends on another.

/** The size of the images the reference architecture makes and scores: 64×64 (four 2× steps from 4×4). */
export const IMAGE_SIZE = 64;

/**
 * The largest models the toolkit builds, checked by {@link resolveModelConfig} before anything is allocated, so
 * that a model description read from a file (a run's `config.json`, a web manifest) cannot ask for gigabytes.
 * Generous for real use: the reference is width 64, zDim 20; width 256 makes a generator of about 45M parameters.
 */
export const MODEL_LIMITS = {
  /** Largest width multiplier (`ModelConfig.width`). */
  maxWidth: 256,
  /** Largest latent code (`ModelConfig.zDim`). */
  maxZDim: 1024,
  /** The image channels a model may have (`ModelConfig.channels`). */
  channels: [1, 3],
  /**
   * Most classes of a conditional model (`ConditionalConfig.numClasses`). The class embeddings grow with it: a
   * conditional SAGAN at width 64 holds `2·(8+4+2+1)·64 = 1920` floats per class in its generator and
   * `16·8·64 = 8192` in its discriminator, about 40 MB at 1000 classes.
   */
  maxClasses: 1000,
} as const;

/** How a model's weights start. */
export type InitScheme = "dcgan" | "pytorch";

/** Options shared by the DCGAN and SAGAN generators and discriminators. Every field is optional. */
export interface ModelConfig {
  /** Length of the latent code `z` (default 20, the reference's `z_dim`; at most {@link MODEL_LIMITS}`.maxZDim`, 1024). */
  zDim?: number;
  /**
   * The width multiplier the reference calls `image_size` (default 64). The generator's blocks have
   * `8w, 4w, 2w, w` channels and the discriminator's `w, 2w, 4w, 8w`; images are 64×64 whatever the width. At
   * most {@link MODEL_LIMITS}`.maxWidth` (256).
   */
  width?: number;
  /** Image channels: 1 (grayscale, default, as the reference) or 3 (RGB). */
  channels?: number;
  /**
   * `"dcgan"` (default): the reference's `weights_init` (convolution weights ~ N(0, 0.02), biases 0, BatchNorm
   * weights ~ N(1, 0.02)); `"pytorch"`: each layer keeps PyTorch's default initialisation.
   */
  init?: InitScheme;
  /** Seed of the weights' random source (default: the library-wide `defaultRandom()`); exclusive with `random`. */
  seed?: number;
  /** The weights' random source itself; exclusive with `seed`. */
  random?: Random;
}

/** Options of a generator (DCGAN's or SAGAN's): the {@link ModelConfig} and the latent prior. */
export interface GeneratorConfig extends ModelConfig {
  /**
   * A latent prior with separate modes ({@link LatentGap}): the generator first maps the leading `dims` coordinates
   * of each code `z` to `sign(z)·(gap + scale·|z|)`, so that the codes form 2^dims clusters with no code between
   * them, and it can put the transition between two kinds of image (a 7 and an 8) where no code lands instead of
   * drawing blends. `{}` takes the defaults (one coordinate, gap 2, scale 0.5). Absent: the reference's plain
   * normal codes. Discriminators refuse the option.
   */
  latentGap?: LatentGapOptions;
}

/**
 * The option that makes a model class-conditional, shared by the DCGAN and SAGAN generators and discriminators.
 * Absent: the unconditional model, unchanged (same modules, state dict and weights for the same seed).
 */
export interface ConditionalConfig {
  /**
   * Number of classes `K` (an integer in [1, {@link MODEL_LIMITS}`.maxClasses`]). A generator's BatchNorm layers
   * become {@link ConditionalBatchNorm2d} (a scale and shift per class), a discriminator gets a projection head
   * ({@link ProjectionHead}, Miyato & Koyama 2018); `forward` then needs `{ labels }`, int32 `[B]` in [0, K).
   */
  numClasses?: number;
}

/**
 * The `numClasses` option checked (undefined when absent): an integer in [1, {@link MODEL_LIMITS}`.maxClasses`],
 * errors naming `where` and the option.
 */
export function resolveNumClasses(numClasses: unknown, where: string): number | undefined {
  if (numClasses === undefined) return undefined;
  return boundedInteger(numClasses, MODEL_LIMITS.maxClasses, "numClasses", where);
}

/** Builds the {@link LatentGap} of `options` (undefined when absent), naming `where` and the option in errors. */
export function resolveLatentGap(options: LatentGapOptions | undefined, zDim: number, where: string): LatentGap | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new Error(`${where}: option 'latentGap' must be an object ({ dims, gap, scale }), got ${JSON.stringify(options)}`);
  }
  let gap: LatentGap;
  try {
    gap = new LatentGap(options);
  } catch (error) {
    throw new Error(`${where}: option 'latentGap': ${(error as Error).message}`);
  }
  if (gap.dims > zDim) throw new Error(`${where}: option 'latentGap' splits ${gap.dims} coordinates but zDim is ${zDim}`);
  return gap;
}

/** A {@link ModelConfig} with every default filled in. */
export interface ResolvedModelConfig {
  zDim: number;
  width: number;
  channels: number;
  init: InitScheme;
  random: Random;
}

const KEYS = ["zDim", "width", "channels", "init", "seed", "random"];

/**
 * Checks `config` against the types and {@link MODEL_LIMITS} and fills in the defaults, before any weight is
 * allocated. `where` names the caller in error messages; `extraKeys` are the further options the caller accepts
 * (any other key is reported, to catch typos such as `imageSize`).
 */
export function resolveModelConfig(config: ModelConfig, where: string, extraKeys: readonly string[] = []): ResolvedModelConfig {
  if (typeof config !== "object" || config === null) throw new Error(`${where}: config must be an object, got ${config}`);
  const known = [...KEYS, ...extraKeys];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option '${key}' (known options: ${known.join(", ")})`);
  }
  const zDim = boundedInteger(config.zDim ?? 20, MODEL_LIMITS.maxZDim, "zDim", where);
  const width = boundedInteger(config.width ?? 64, MODEL_LIMITS.maxWidth, "width", where);
  const channels = config.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new Error(`${where}: option 'channels' must be 1 or 3, got ${channels}`);
  const init = config.init ?? "dcgan";
  if (init !== "dcgan" && init !== "pytorch") {
    throw new Error(`${where}: option 'init' must be "dcgan" or "pytorch", got ${JSON.stringify(init)}`);
  }
  if (config.seed !== undefined && config.random !== undefined) {
    throw new Error(`${where}: give option 'seed' or option 'random', not both`);
  }
  if (config.seed !== undefined && !Number.isSafeInteger(config.seed)) {
    throw new Error(`${where}: option 'seed' must be an integer, got ${config.seed}`);
  }
  if (config.random !== undefined && !(config.random instanceof Random)) {
    throw new Error(`${where}: option 'random' must be a Random from @gan/layers`);
  }
  const random = config.random ?? (config.seed !== undefined ? new Random(config.seed) : undefined);
  return { zDim, width, channels, init, random: random ?? defaultRandom() };
}

function boundedInteger(value: unknown, max: number, option: string, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new Error(`${where}: option '${option}' must be an integer in [1, ${max}], got ${value}`);
  }
  return value as number;
}
