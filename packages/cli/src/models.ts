import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { getLayer } from "@gan/layers";
import { bceLoss, hingeLoss } from "@gan/losses";
import { type AttentionFactory, SaganDiscriminator, SaganGenerator } from "@gan/sagan";
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
}

/** Builds the generator and discriminator a {@link ModelSpec} describes. */
export function buildModels(spec: ModelSpec): { generator: GanGenerator; discriminator: GanDiscriminator } {
  const base = { zDim: spec.zDim, width: spec.width, channels: spec.channels };
  if (spec.model === "dcgan") {
    if (spec.attention) throw new Error(`--attention applies to sagan only, not to ${spec.model}`);
    return {
      generator: new DcganGenerator({ ...base, seed: spec.seed }),
      discriminator: new DcganDiscriminator({ ...base, seed: spec.seed + 1 }),
    };
  }
  const attention = spec.attention ? (getLayer(spec.attention) as AttentionFactory) : undefined;
  return {
    generator: new SaganGenerator({ ...base, seed: spec.seed, ...(attention ? { attention } : {}) }),
    discriminator: new SaganDiscriminator({ ...base, seed: spec.seed + 1, ...(attention ? { attention } : {}) }),
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
