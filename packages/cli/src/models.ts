import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { LatentGap, getLayer } from "@gan/layers";
import { bceLoss, hingeLoss } from "@gan/losses";
import { type AttentionFactory, type NormalizableLayer, SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import type { GanDiscriminator, GanGenerator, GanLoss } from "@gan/spec";
import { readRunConfig } from "@gan/trainer";

/** The models the CLI builds. */
export const MODELS = ["dcgan", "sagan"] as const;
/** A model name. */
export type ModelName = (typeof MODELS)[number];

/** How the CLI builds a model: recorded in `config.json` so `gan sample` and `--resume` rebuild the same. */
export interface ModelSpec {
  model: ModelName;
  zDim: number;
  width: number;
  channels: 1 | 3;
  /** Seed of the weights' initialisation. */
  seed: number;
  /** Name of a registered attention layer (SAGAN only; default the reference's self-attention). */
  attention?: string;
  /**
   * After which of layers 1–4 both SAGAN nets put an attention block (default `[3, 4]`, the reference). `[3]`
   * drops the generator's 32×32 attention, the most expensive one, and keeps its 16×16 map.
   */
  attentionAfter?: number[];
  /** The discriminator's attention layers when they differ from {@link ModelSpec.attentionAfter} (`[]`: none). */
  discriminatorAttentionAfter?: number[];
  /**
   * Spectral normalisation in SAGAN's generator (default `true`, the reference; BigGAN and SAGAN put it in both
   * nets). `false` builds the generator without it (`--no-g-spectral-norm`; StudioGAN's `apply_g_sn`), so its
   * state dict holds plain `weight`s instead of `weight_orig`, `weight_u`, `weight_v`; the discriminator keeps it.
   * SAGAN only; `gan train` records it only when `false`.
   */
  generatorSpectralNorm?: boolean;
  /**
   * The side both SAGAN nets work at (`--working-size`; default 64, the reference). 32: the generator draws
   * 32×32 and upsamples bilinearly, the discriminator averages 2×2 blocks first (see `SaganConfig.workingSize`);
   * images stay 64×64. `gan train` records it only when 32.
   */
  workingSize?: 32 | 64;
  /**
   * The generator's latent prior with separate modes (`--latent-gap [dims]`; see `GeneratorConfig.latentGap` of
   * `@gan/dcgan`, which SAGAN's config extends): the generator
   * maps the first `dims` coordinates of each code to `sign(z)·(gap + scale·|z|)`. Recorded with every field
   * filled in; absent, the reference's normal codes.
   */
  latentGap?: LatentGapSpec;
}

/** A latent gap as recorded in `config.json` and the web manifest. */
export interface LatentGapSpec {
  dims: number;
  gap: number;
  scale: number;
}

/** `--latent-gap`'s record: the given number of split coordinates (1 when the flag has no value) and the defaults. */
export function latentGapSpec(dims: number): LatentGapSpec {
  const layer = new LatentGap({ dims });
  return { dims: layer.dims, gap: layer.gap, scale: layer.scale };
}

/** Builds the generator and discriminator a {@link ModelSpec} describes. */
export function buildModels(spec: ModelSpec): { generator: GanGenerator; discriminator: GanDiscriminator } {
  const base = { zDim: spec.zDim, width: spec.width, channels: spec.channels };
  if (spec.model === "dcgan") {
    if (spec.attention) throw new Error(`--attention applies to sagan only, not to ${spec.model}`);
    if (spec.attentionAfter) throw new Error(`--attention-after applies to sagan only, not to ${spec.model}`);
    if (spec.discriminatorAttentionAfter) throw new Error(`--d-attention-after applies to sagan only, not to ${spec.model}`);
    if (spec.generatorSpectralNorm !== undefined) throw new Error(`--no-g-spectral-norm applies to sagan only, not to ${spec.model}`);
    if (spec.workingSize !== undefined && spec.workingSize !== 64) throw new Error(`--working-size applies to sagan only, not to ${spec.model}`);
    return {
      generator: new DcganGenerator({ ...base, seed: spec.seed, ...(spec.latentGap ? { latentGap: spec.latentGap } : {}) }),
      discriminator: new DcganDiscriminator({ ...base, seed: spec.seed + 1 }),
    };
  }
  for (const [flag, after] of [
    ["--attention-after", spec.attentionAfter],
    ["--d-attention-after", spec.discriminatorAttentionAfter],
  ] as const) {
    if (after && !(after.every((i) => i >= 1 && i <= 4) && new Set(after).size === after.length)) {
      throw new Error(`${flag}: expected distinct layers among 1, 2, 3, 4, got ${after.join(",")}`);
    }
  }
  const attention = spec.attention ? (getLayer(spec.attention) as AttentionFactory) : undefined;
  const plugin = attention ? { attention } : {};
  const gAfter = spec.attentionAfter;
  const dAfter = spec.discriminatorAttentionAfter ?? spec.attentionAfter;
  const gNormalize = spec.generatorSpectralNorm === false ? { normalize: (layer: NormalizableLayer) => layer } : {};
  const size = spec.workingSize ? { workingSize: spec.workingSize } : {};
  const gap = spec.latentGap ? { latentGap: spec.latentGap } : {};
  return {
    generator: new SaganGenerator({ ...base, ...size, ...gap, seed: spec.seed, ...plugin, ...gNormalize, ...(gAfter ? { attentionAfter: gAfter } : {}) }),
    discriminator: new SaganDiscriminator({ ...base, ...size, seed: spec.seed + 1, ...plugin, ...(dAfter ? { attentionAfter: dAfter } : {}) }),
  };
}

/** The losses the CLI knows. */
export const LOSSES = ["bce", "hinge"] as const;

/** The reference's loss of each model (BCE for DCGAN, hinge for SAGAN), or the one named. */
export function lossFor(model: ModelName, name?: (typeof LOSSES)[number]): GanLoss {
  const chosen = name ?? (model === "dcgan" ? "bce" : "hinge");
  return chosen === "bce" ? bceLoss() : hingeLoss();
}

/** Rebuilds the generator of a run folder written by `gan train`, from the model spec in its config.json. */
export async function generatorOf(runDir: string): Promise<GanGenerator> {
  const spec = (await readRunConfig(runDir)).extra?.model as ModelSpec | undefined;
  if (!spec?.model) throw new Error(`${runDir}/config.json: no model description under extra.model (was it written by 'gan train'?)`);
  const { generator, discriminator } = buildModels(spec);
  discriminator.dispose();
  return generator;
}
