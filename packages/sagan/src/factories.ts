import type { SaganConfig, SaganReferenceConfig } from "./config";
import { SaganDiscriminator } from "./discriminator";
import { FlexibleSaganDiscriminator } from "./flexible-discriminator";
import { FlexibleSaganGenerator } from "./flexible-generator";
import { SaganGenerator } from "./generator";

/**
 * Whether `config` asks for the article's layout: attention after layers 3 and 4, working size 64, no latent
 * gap, no minibatch standard deviation and no packing (each absent or at that value). The plugin slots and the
 * shared model options may be anything.
 */
export function isReferenceLayout(config: SaganConfig): boolean {
  if (typeof config !== "object" || config === null) return true; // let the class report it
  const after = config.attentionAfter;
  const referenceAttention = after === undefined || (Array.isArray(after) && after.length === 2 && after.includes(3) && after.includes(4));
  return (
    referenceAttention &&
    (config.workingSize === undefined || config.workingSize === 64) &&
    config.latentGap === undefined &&
    config.minibatchStd === undefined &&
    config.pack === undefined
  );
}

/** `config` without the layout options, which the article's classes refuse. */
function referenceConfig(config: SaganConfig): SaganReferenceConfig {
  if (typeof config !== "object" || config === null) return config;
  const { attentionAfter: _after, workingSize: _size, latentGap: _gap, minibatchStd: _std, pack: _pack, ...rest } = config;
  return rest;
}

/**
 * Builds a SAGAN generator from any {@link SaganConfig}: the article's {@link SaganGenerator} when the layout is
 * the reference's ({@link isReferenceLayout}), else {@link FlexibleSaganGenerator}. Both give the same weights
 * for the same config and seed, so runs and checkpoints load whichever class built them.
 */
export function createGenerator(config: SaganConfig = {}): SaganGenerator | FlexibleSaganGenerator {
  return isReferenceLayout(config) ? new SaganGenerator(referenceConfig(config)) : new FlexibleSaganGenerator(config);
}

/**
 * Builds a SAGAN discriminator from any {@link SaganConfig}: the article's {@link SaganDiscriminator} when the
 * layout is the reference's, else {@link FlexibleSaganDiscriminator}. A `latentGap` is refused, naming the option.
 */
export function createDiscriminator(config: SaganConfig = {}): SaganDiscriminator | FlexibleSaganDiscriminator {
  if (typeof config === "object" && config !== null && config.latentGap !== undefined) return new FlexibleSaganDiscriminator(config);
  return isReferenceLayout(config) ? new SaganDiscriminator(referenceConfig(config)) : new FlexibleSaganDiscriminator(config);
}
