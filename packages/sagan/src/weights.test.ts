import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWeights, saveWeights } from "@gan/layers/node";
import { createGenerator as createDcganGenerator } from "@gan/dcgan";
import { createDiscriminator, createGenerator } from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function header(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  delete h.__metadata__;
  return h;
}

let dir: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "sagan-weights-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("SAGAN weights files", () => {
  it("a saved generator loads into a fresh, differently seeded one: identical images and attention maps", async () => {
    const a = createGenerator({ width: 2, seed: 1 });
    const z = tf.randomNormal([1, 20], 0, 1, "float32", 2);
    tf.dispose(Object.values(a.forward(z)).flat()); // train mode: moves u, v and the BatchNorm statistics
    a.eval();
    const path = join(dir, "g.safetensors");
    await saveWeights(a, path, { metadata: { model: "sagan" } });
    const b = createGenerator({ width: 2, seed: 2 }).eval();
    const expected = a.forward(z);
    const differs = b.forward(z);
    expect(Array.from(differs.images.dataSync())).not.toEqual(Array.from(expected.images.dataSync()));
    expect(await loadWeights(b, path)).toMatchObject({ model: "sagan" });
    const actual = b.forward(z);
    expect(Array.from(actual.images.dataSync())).toEqual(Array.from(expected.images.dataSync()));
    actual.attentionMaps.forEach((m, i) => {
      expect(Array.from(m.dataSync())).toEqual(Array.from(expected.attentionMaps[i].dataSync()));
    });
    tf.dispose([z, ...[expected, differs, actual].flatMap((o) => [o.images, ...o.attentionMaps])]);
    a.dispose();
    b.dispose();
  });

  it("a saved discriminator loads into a fresh one: identical logits", async () => {
    const a = createDiscriminator({ width: 2, seed: 3 });
    const path = join(dir, "d.safetensors");
    await saveWeights(a, path);
    const b = createDiscriminator({ width: 2, seed: 4 });
    await loadWeights(b, path);
    const x = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 5) as tf.Tensor4D;
    const [ra, rb] = [a.eval().forward(x), b.eval().forward(x)];
    expect(Array.from(rb.logits.dataSync())).toEqual(Array.from(ra.logits.dataSync()));
    tf.dispose([x, ra.logits, rb.logits, ...ra.attentionMaps, ...rb.attentionMaps]);
    a.dispose();
    b.dispose();
  });

  it("writes the same tensors, dtypes (I64 counters) and shapes as the converted PyTorch state dict", async () => {
    for (const [name, model] of [
      ["generator", createGenerator({ width: 16, seed: 1 })],
      ["discriminator", createDiscriminator({ width: 16, seed: 1 })],
    ] as const) {
      const path = join(dir, `${name}.safetensors`);
      await saveWeights(model, path);
      expect(header(await readFile(path))).toEqual(
        Object.fromEntries(
          Object.entries(header(await readFile(fixture(`${name}.init.safetensors`)))).map(([k, v]) => [
            k,
            { ...v, data_offsets: expect.any(Array) },
          ]),
        ),
      );
      model.dispose();
    }
  });

  it("rejects files of another architecture, naming the file and the tensors", async () => {
    const path = join(dir, "full.safetensors");
    const full = createGenerator({ width: 2, seed: 1 });
    await saveWeights(full, path);
    full.dispose();

    const oneAttention = createGenerator({ width: 2, attentionAfter: [3] });
    await expect(loadWeights(oneAttention, path)).rejects.toThrow(/full\.safetensors[\s\S]*unexpected key 'self_attntion2\.gamma'/);
    await loadWeights(oneAttention, path, { strict: false }); // the extra block is ignored when not strict
    oneAttention.dispose();

    const wider = createGenerator({ width: 4 });
    await expect(loadWeights(wider, path)).rejects.toThrow(/'layer1\.0\.weight_orig' has shape \[20,16,4,4\], expected \[20,32,4,4\]/);
    wider.dispose();

    const dcganPath = join(dir, "dcgan.safetensors");
    const dcgan = createDcganGenerator({ width: 2 });
    await saveWeights(dcgan, dcganPath);
    dcgan.dispose();
    const sagan = createGenerator({ width: 2 });
    const error = await loadWeights(sagan, dcganPath).catch((e: Error) => e);
    expect(String(error)).toContain(dcganPath);
    expect(String(error)).toContain("missing key 'layer1.0.weight_orig'");
    expect(String(error)).toContain("unexpected key 'layer1.0.weight'");
    sagan.dispose();
  });
});
