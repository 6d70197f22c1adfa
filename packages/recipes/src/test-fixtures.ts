/** Fixtures of the schema and fuzz tests (not part of the public API). */
import type { WebManifest } from "./web-manifest";

/** What `gan train` recorded for the demo run (runs/demo/config.json), the shape of a real `extra`. */
export const RECORDED_EXTRA = {
  recipe: "fast",
  model: {
    model: "sagan",
    zDim: 20,
    width: 16,
    channels: 1,
    workingSize: 32,
    latentGap: { dims: 1, gap: 2, scale: 0.5 },
    attentionAfter: [3],
    discriminatorAttentionAfter: [],
    generatorSpectralNorm: false,
    seed: 0,
  },
  training: {
    loss: "hinge",
    gLr: 0.0012,
    dLr: 0.0012,
    beta1: 0,
    beta2: 0.99,
    dSteps: 2,
    diffAugment: "color,translation",
    diffAugmentTranslation: 0.0625,
    ema: { decay: 0.99, startStep: 0 },
    eval: { everyEpochs: 12, n: 400 },
  },
  data: "data/img_78",
};

/** A manifest as `gan export-web` writes it. */
export const MANIFEST: WebManifest = {
  format: "gan-web",
  version: 1,
  model: { model: "sagan", zDim: 20, width: 16, channels: 1, generatorSpectralNorm: false, workingSize: 32, latentGap: { dims: 1, gap: 2, scale: 0.5 } },
  imageSize: 64,
  attention: [{ name: "self_attntion1", after: 3, side: 16 }],
  weights: { file: "generator.safetensors", bytes: 1000, sha256: "a".repeat(64) },
  source: { run: "demo", checkpoint: "step-0001012", step: 1012, backend: "wasm", ema: true },
  exportedAt: "2026-12-03T00:00:00.000Z",
};
