import type { LatentGapSpec, ModelSpec } from "./model-spec";

/** One attention block of an exported SAGAN generator. */
export interface WebManifestAttention {
  /** State-dict prefix of the block (`self_attntion1`, ...). */
  name: string;
  /** The generator layer (1–4) the block follows. */
  after: number;
  /** Side of the feature map it attends over: its maps are `[B, side², side²]`. */
  side: number;
}

/**
 * `manifest.json` of an exported generator (`gan export-web`): what a web page needs to rebuild the generator and
 * load its weights, in the browser.
 */
export interface WebManifest {
  format: "gan-web";
  version: 1;
  /**
   * The generator's shape. `generatorSpectralNorm: false` (SAGAN trained with `--no-g-spectral-norm`; written only
   * then) means the generator has no spectral normalisation: plain `weight`s, no `weight_orig`, `weight_u`,
   * `weight_v`. Absent, a SAGAN generator has it, as the reference. `workingSize: 32` (`--working-size 32`; written
   * only then): the generator draws 32×32 and upsamples to 64×64. `latentGap` (`--latent-gap`; written only then):
   * the generator's latent prior with separate modes, as `SaganConfig.latentGap`.
   */
  model: {
    model: ModelSpec["model"];
    zDim: number;
    width: number;
    channels: 1 | 3;
    generatorSpectralNorm?: false;
    workingSize?: 32;
    latentGap?: LatentGapSpec;
    /** A class-conditional generator's classes (written only then): `forward(z, { labels })` with labels in [0, numClasses). */
    numClasses?: number;
  };
  /**
   * A conditional generator's class names in label order (written only for conditional runs that recorded them), for
   * a viewer's class picker.
   */
  classes?: string[];
  /**
   * A conditional generator's training images per class in label order (written only for conditional runs that
   * recorded them, `extra.classCounts`): a viewer draws the whole distribution with labels in this proportion, as
   * `gan sample --marginal` does (for classes that are `gan cluster` clusters, what the data looks like).
   */
  classCounts?: number[];
  /** Side of the generated images (64). */
  imageSize: number;
  /** SAGAN's attention blocks in forward order (the order of `attentionMaps`); empty for DCGAN. */
  attention: WebManifestAttention[];
  /** The generator's weights: a safetensors state dict with PyTorch's names, next to the manifest. */
  weights: { file: string; bytes: number; sha256: string };
  /**
   * Where the weights came from; `ema` is true when they are the checkpoint's EMA generator
   * (`gan export-web --ema`; absent in manifests written before the option).
   */
  source: { run: string; checkpoint: string; step: number | null; backend: string | null; ema?: boolean };
  exportedAt: string;
}

/** The manifest's file name; the page fetches `<model folder>/manifest.json`. */
export const WEB_MANIFEST = "manifest.json";


/**
 * SAGAN's attention blocks of the generator `spec` describes, in forward order (after layers 3 and 4 unless
 * `attentionAfter` says otherwise; layer k attends over a 2^(k+1)-pixel side); empty for DCGAN.
 */
export function webManifestAttention(spec: Pick<ModelSpec, "model" | "attentionAfter">): WebManifestAttention[] {
  if (spec.model !== "sagan") return [];
  const after = [...(spec.attentionAfter ?? [3, 4])].sort((x, y) => x - y);
  return after.map((layer, i) => ({ name: `self_attntion${i + 1}`, after: layer, side: 2 ** (layer + 1) }));
}

/**
 * The manifest's `model` block for the generator `spec` describes: the fields a page needs to rebuild it, each
 * optional one written only when it differs from the reference (see {@link WebManifest}).
 */
export function webManifestModel(spec: ModelSpec | Omit<ModelSpec, "seed">): WebManifest["model"] {
  return {
    model: spec.model,
    zDim: spec.zDim,
    width: spec.width,
    channels: spec.channels,
    ...(spec.generatorSpectralNorm === false ? { generatorSpectralNorm: false as const } : {}),
    ...(spec.workingSize === 32 ? { workingSize: 32 as const } : {}),
    ...(spec.latentGap ? { latentGap: spec.latentGap } : {}),
    ...(spec.numClasses !== undefined ? { numClasses: spec.numClasses } : {}),
  };
}
