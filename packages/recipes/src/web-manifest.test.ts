import { describe, expect, it } from "vitest";
import { recipes } from "./named-recipes";
import { checkWebManifest } from "./web-manifest-schema";
import { type WebManifest, webManifestAttention, webManifestModel } from "./web-manifest";

describe("the manifest's model and attention blocks", () => {
  it("the article's SAGAN: the reference fields only, attention after layers 3 and 4", () => {
    const spec = recipes.sagan.model;
    expect(webManifestModel(spec)).toEqual({ model: "sagan", zDim: 20, width: 64, channels: 1 });
    expect(webManifestAttention(spec)).toEqual([
      { name: "self_attntion1", after: 3, side: 16 },
      { name: "self_attntion2", after: 4, side: 32 },
    ]);
    expect(webManifestAttention(recipes.dcgan.model)).toEqual([]);
  });

  it("the fast recipe: every field that differs from the reference, one attention block; a valid manifest", () => {
    const spec = { ...recipes.fastConditional.model, numClasses: 10 };
    const model = webManifestModel(spec);
    expect(model).toEqual({ model: "sagan", zDim: 20, width: 16, channels: 1, generatorSpectralNorm: false, workingSize: 32, numClasses: 10 });
    expect(webManifestModel(recipes.fast.model).latentGap).toEqual(recipes.fast.model.latentGap);
    expect(webManifestAttention(spec)).toEqual([{ name: "self_attntion1", after: 3, side: 16 }]);
    const manifest: WebManifest = {
      format: "gan-web",
      version: 1,
      model,
      imageSize: 64,
      attention: webManifestAttention(spec),
      weights: { file: "generator.safetensors", bytes: 1, sha256: "0".repeat(64) },
      source: { run: "r", checkpoint: "step-0000001", step: 1, backend: null },
      exportedAt: "2026-12-04T00:00:00.000Z",
    };
    expect(() => checkWebManifest(manifest, "manifest.json")).not.toThrow();
  });
});
