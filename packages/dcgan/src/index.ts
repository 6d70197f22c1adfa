/**
 * The reference DCGAN (Radford et al. 2015, as in the article this toolkit follows) on TensorFlow.js, with
 * PyTorch-compatible state-dict names.
 *
 * @packageDocumentation
 */
import type { GeneratorConfig, ModelConfig } from "./config";
import { DcganDiscriminator } from "./discriminator";
import { DcganGenerator } from "./generator";

export { DcganGenerator } from "./generator";
export { DcganDiscriminator } from "./discriminator";
export {
  IMAGE_SIZE,
  resolveModelConfig,
  resolveLatentGap,
  type ModelConfig,
  type GeneratorConfig,
  type ResolvedModelConfig,
  type InitScheme,
} from "./config";
export { latentGrid, checkImages } from "./inputs";

/** Options of {@link createGenerator} (also `latentGap`) and {@link createDiscriminator}. */
export type DcganConfig = ModelConfig;

/** Builds the reference DCGAN generator (z_dim 20, width 64, 1 channel and `weights_init` by default). */
export function createGenerator(config: GeneratorConfig = {}): DcganGenerator {
  return new DcganGenerator(config);
}

/** Builds the reference DCGAN discriminator (width 64, 1 channel and `weights_init` by default). */
export function createDiscriminator(config: DcganConfig = {}): DcganDiscriminator {
  return new DcganDiscriminator(config);
}
