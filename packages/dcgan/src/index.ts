/**
 * The reference DCGAN (Radford et al. 2015, as in the article this toolkit follows) on TensorFlow.js, with
 * PyTorch-compatible state-dict names.
 *
 * @packageDocumentation
 */
import type { ConditionalConfig, GeneratorConfig, ModelConfig } from "@gan/layers";
import { DcganDiscriminator } from "./discriminator";
import { DcganGenerator } from "./generator";
import { LatentGapDcganGenerator } from "./latent-gap-generator";

export { DcganGenerator } from "./generator";
export { LatentGapDcganGenerator } from "./latent-gap-generator";
export { DcganDiscriminator } from "./discriminator";
// The shared model options and input checks live in @gan/layers; re-exported under their old names.
export {
  IMAGE_SIZE,
  resolveModelConfig,
  resolveLatentGap,
  resolveNumClasses,
  latentGrid,
  checkImages,
  checkLabels,
  ConditionalBatchNorm2d,
  ProjectionHead,
  type ConditionalConfig,
  type ModelConfig,
  type GeneratorConfig,
  type ResolvedModelConfig,
  type InitScheme,
} from "@gan/layers";

/**
 * Options of {@link createDiscriminator} and the DCGAN classes: the shared {@link ModelConfig} and `numClasses`
 * ({@link ConditionalConfig}: a class-conditional generator with conditional BatchNorm, a projection
 * discriminator; their `forward` then needs `{ labels }`).
 */
export type DcganConfig = ModelConfig & ConditionalConfig;

/** Options of {@link createGenerator}: {@link DcganConfig} and the generator's `latentGap`. */
export type DcganGeneratorConfig = GeneratorConfig & ConditionalConfig;

/**
 * Builds the DCGAN generator (z_dim 20, width 64, 1 channel and `weights_init` by default): the reference
 * {@link DcganGenerator}, or {@link LatentGapDcganGenerator} when `config.latentGap` is given; class-conditional
 * with `numClasses`.
 */
export function createGenerator(config: DcganGeneratorConfig = {}): DcganGenerator {
  if (config !== null && typeof config === "object" && config.latentGap !== undefined) return new LatentGapDcganGenerator(config);
  return new DcganGenerator(config);
}

/**
 * Builds the reference DCGAN discriminator (width 64, 1 channel and `weights_init` by default); a projection
 * discriminator with `numClasses`.
 */
export function createDiscriminator(config: DcganConfig = {}): DcganDiscriminator {
  return new DcganDiscriminator(config);
}
