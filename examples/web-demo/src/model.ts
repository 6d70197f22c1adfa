import { createGenerator as createDcganGenerator } from "@gan/dcgan";
import { decodeSafetensors } from "@gan/layers";
import { checkWebManifest, type WebManifest } from "@gan/recipes";
import { createGenerator, type NormalizableLayer } from "@gan/sagan";
import type { GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

export type { WebManifest };

/** A generator ready to sample, with the manifest it was built from. */
export interface LoadedModel {
  manifest: WebManifest;
  generator: GanGenerator;
  /** Where the model was loaded from. */
  url: URL;
}

async function fetchOk(url: URL): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url.pathname}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url.pathname}: HTTP ${response.status}`);
  return response;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined; // Only in secure contexts (https, localhost).
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Loads the model that `gan export-web` wrote into the folder `base`: reads `manifest.json`, builds the generator
 * it describes, and loads the safetensors weights into it (strictly: every tensor, by PyTorch's names).
 * Call after a backend is selected.
 */
export async function loadModel(base: URL): Promise<LoadedModel> {
  const manifestUrl = new URL("manifest.json", base);
  let json: unknown;
  try {
    json = await (await fetchOk(manifestUrl)).json();
  } catch (e) {
    if (e instanceof SyntaxError) throw new Error(`${manifestUrl.pathname} is not JSON: is a model exported there (gan export-web)?`);
    throw e;
  }
  // Checked against the schema (model limits included) before anything is fetched or built.
  const manifest: WebManifest = checkWebManifest(json, manifestUrl.pathname);
  const weightsUrl = new URL(manifest.weights.file, base);
  const bytes = new Uint8Array(await (await fetchOk(weightsUrl)).arrayBuffer());
  if (bytes.byteLength !== manifest.weights.bytes) {
    throw new Error(`${weightsUrl.pathname}: ${bytes.byteLength} bytes, the manifest says ${manifest.weights.bytes}`);
  }
  const digest = await sha256(bytes);
  if (digest && digest !== manifest.weights.sha256) throw new Error(`${weightsUrl.pathname}: its SHA-256 differs from the manifest's`);

  const { model, generatorSpectralNorm, ...config } = manifest.model;
  // The initial weights are overwritten by the checkpoint; "pytorch" init is the cheaper of the two schemes.
  // A SAGAN trained with --no-g-spectral-norm has plain convolutions (`weight`, not `weight_orig`/`_u`/`_v`).
  const normalize = generatorSpectralNorm === false ? { normalize: (layer: NormalizableLayer) => layer } : {};
  const generator: GanGenerator =
    model === "sagan"
      ? createGenerator({ ...config, ...normalize, init: "pytorch", seed: 0, attentionAfter: manifest.attention.map((a) => a.after) })
      : createDcganGenerator({ ...config, init: "pytorch", seed: 0 });
  const { tensors } = decodeSafetensors(bytes, weightsUrl.pathname);
  try {
    generator.loadStateDict(tensors, { strict: true });
  } catch (e) {
    generator.dispose();
    throw new Error(`${weightsUrl.pathname} does not fit the ${model} of the manifest: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  generator.eval();
  return { manifest, generator, url: base };
}
