/**
 * `loadModel` in Node (tfjs' cpu backend, `fetch` stubbed to serve an exported model from memory): the generator
 * the manifest describes takes the weights strictly.
 */
import "@tensorflow/tfjs-backend-cpu";
import { createHash } from "node:crypto";
import { encodeSafetensors } from "@gan/layers";
import { createGenerator } from "@gan/sagan";
import type { GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadModel, type WebManifest } from "./model";

const BASE = new URL("http://127.0.0.1/model/");

/** Serves `generator`'s weights and a manifest (with `model` over the defaults) at {@link BASE}. */
function serve(
  generator: GanGenerator,
  model: Partial<WebManifest["model"]> = {},
  attention: WebManifest["attention"] = [
    { name: "self_attntion1", after: 3, side: 16 },
    { name: "self_attntion2", after: 4, side: 32 },
  ],
): void {
  const bytes = encodeSafetensors(generator.stateDict());
  const manifest: WebManifest = {
    format: "gan-web",
    version: 1,
    model: { model: "sagan", zDim: 8, width: 2, channels: 1, ...model },
    imageSize: 64,
    attention,
    weights: { file: "generator.safetensors", bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") },
    source: { run: "test", checkpoint: "step-0000001", step: 1, backend: "cpu" },
    exportedAt: new Date(0).toISOString(),
  };
  const files: Record<string, BodyInit> = { "/model/manifest.json": JSON.stringify(manifest), "/model/generator.safetensors": new Uint8Array(bytes) };
  vi.stubGlobal("fetch", async (url: URL) => {
    const body = files[url.pathname];
    return body === undefined ? new Response(null, { status: 404 }) : new Response(body);
  });
}

/** The images `generator` draws from fixed codes. */
function draw(generator: { forward(z: tf.Tensor2D): { images: tf.Tensor; attentionMaps: tf.Tensor[] } }): Float32Array {
  return tf.tidy(() => generator.forward(tf.reshape(tf.linspace(-1, 1, 16), [2, 8])).images.dataSync() as Float32Array);
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("loadModel", () => {
  it("builds a SAGAN without spectral normalisation when the manifest says generatorSpectralNorm: false", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 5, normalize: (layer) => layer });
    trained.eval();
    serve(trained, { generatorSpectralNorm: false });
    const { generator } = await loadModel(BASE);
    try {
      expect(Object.keys(generator.stateDict())).toContain("layer1.0.weight");
      expect(draw(generator)).toEqual(draw(trained));
    } finally {
      generator.dispose();
    }

    // Without the field the page builds the reference (spectral norm), which such weights do not fit.
    serve(trained);
    await expect(loadModel(BASE)).rejects.toThrow(/generator\.safetensors does not fit the sagan of the manifest/);
    trained.dispose();
  });

  it("builds a SAGAN working at 32×32 when the manifest says workingSize: 32", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 6, workingSize: 32, attentionAfter: [3] });
    trained.eval();
    serve(trained, { workingSize: 32 }, [{ name: "self_attntion1", after: 3, side: 16 }]);
    const { generator } = await loadModel(BASE);
    try {
      expect(Object.keys(generator.stateDict()).some((k) => k.startsWith("layer4"))).toBe(false);
      expect(draw(generator)).toEqual(draw(trained));
    } finally {
      generator.dispose();
      trained.dispose();
    }
  });

  it("builds a SAGAN with the latent gap the manifest names", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 7, latentGap: { dims: 2, gap: 1.5, scale: 0.5 } });
    trained.eval();
    serve(trained, { latentGap: { dims: 2, gap: 1.5, scale: 0.5 } });
    const { generator } = await loadModel(BASE);
    try {
      expect(draw(generator)).toEqual(draw(trained));
      // Without the field the same weights draw other images: the gap is part of the model.
      serve(trained);
      const plain = await loadModel(BASE);
      expect(draw(plain.generator)).not.toEqual(draw(trained));
      plain.generator.dispose();
    } finally {
      generator.dispose();
      trained.dispose();
    }
  });

  it("builds the reference SAGAN (spectral normalisation) when the manifest has no such field", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 5 });
    trained.eval();
    serve(trained);
    const { generator } = await loadModel(BASE);
    try {
      expect(Object.keys(generator.stateDict())).toContain("layer1.0.weight_orig");
      expect(draw(generator)).toEqual(draw(trained));
    } finally {
      generator.dispose();
      trained.dispose();
    }
  });
  it("builds a class-conditional generator from numClasses, whose labels choose the class", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 8, numClasses: 2 });
    // Fresh embeddings are γ = 1, β = 0 for every class: make the classes differ, as training does.
    const state = trained.stateDict();
    const random = Object.fromEntries(
      Object.entries(state)
        .filter(([name]) => /_embed\./.test(name))
        .map(([name, t], i) => [name, tf.randomNormal(t.shape, name.includes("gamma") ? 1 : 0, 0.5, "float32", i)]),
    );
    expect(Object.keys(random).length).toBeGreaterThan(0);
    trained.loadStateDict({ ...state, ...random }, { strict: true });
    tf.dispose(Object.values(random));
    trained.eval();
    serve(trained, { numClasses: 2 });
    const { generator } = await loadModel(BASE);
    const drawClasses = (g: GanGenerator, labels: number[]) =>
      tf.tidy(() => g.forward(tf.reshape(tf.linspace(-1, 1, 16), [2, 8]), { labels: tf.tensor1d(labels, "int32") }).images.dataSync() as Float32Array);
    try {
      expect(generator.numClasses).toBe(2);
      expect(drawClasses(generator, [0, 1])).toEqual(drawClasses(trained, [0, 1]));
      expect(drawClasses(generator, [1, 0])).not.toEqual(drawClasses(generator, [0, 1]));
      expect(() => generator.forward(tf.zeros([2, 8]))).toThrow(/labels/);
    } finally {
      generator.dispose();
      trained.dispose();
    }
  });

  it("refuses a manifest outside the schema, naming the file and the field, before fetching the weights", async () => {
    const trained = createGenerator({ zDim: 8, width: 2, seed: 7 });
    serve(trained, { width: 1000 });
    const fetched: string[] = [];
    const serveFile = globalThis.fetch;
    vi.stubGlobal("fetch", (url: URL) => {
      fetched.push(url.pathname);
      return serveFile(url);
    });
    await expect(loadModel(BASE)).rejects.toThrow("/model/manifest.json: model.width: expected an integer in [1, 256], got 1000");
    expect(fetched).toEqual(["/model/manifest.json"]);
    trained.dispose();
  });
});
