import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import { LatentGap } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { DcganGenerator, LatentGapDcganGenerator, createDiscriminator, createGenerator } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("GeneratorConfig.latentGap (DCGAN)", () => {
  it("moves the codes into separate modes before layer 1; same state dict; the discriminator does not take it", () => {
    const plain = createGenerator({ width: 4, seed: 2 });
    const gapped = createGenerator({ width: 4, seed: 2, latentGap: { dims: 1, gap: 1 } });
    expect(plain).not.toBeInstanceOf(LatentGapDcganGenerator);
    expect(gapped).toBeInstanceOf(LatentGapDcganGenerator);
    expect((gapped as LatentGapDcganGenerator).latentGap.gap).toBe(1);
    expect(Object.keys(gapped.stateDict())).toEqual(Object.keys(plain.stateDict()));
    plain.eval();
    gapped.eval();
    const z = tf.randomNormal([3, 20], 0, 1, "float32", 4);
    const moved = new LatentGap({ dims: 1, gap: 1 }).forward(z);
    const a = gapped.forward(z).images;
    const b = plain.forward(moved).images;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    tf.dispose([z, moved, a, b]);
    plain.dispose();
    gapped.dispose();

    expect(() => createGenerator({ width: 4, zDim: 2, latentGap: { dims: 3 } })).toThrow(/DcganGenerator: option 'latentGap' splits 3 coordinates but zDim is 2/);
    expect(() => createDiscriminator({ width: 4, latentGap: {} } as never)).toThrow(/DcganDiscriminator: unknown option 'latentGap'/);
    expect(() => new DcganGenerator({ width: 4, latentGap: {} } as never)).toThrow(/DcganGenerator: option 'latentGap' belongs to LatentGapDcganGenerator/);
  });

  it("keeps the weights, state dict and outputs of the generator before the variant was split out", () => {
    const before = JSON.parse(readFileSync(new URL("../fixtures/before-refactor.json", import.meta.url), "utf8"));
    for (const [name, config] of [["reference", {}], ["gap", { latentGap: { dims: 2 } }]] as const) {
      const G = createGenerator({ width: 4, seed: 9, ...config });
      const initial = Object.entries(G.stateDict()).map(([k, v]) => [k, digest(v)]);
      const z = tf.randomNormal([2, 20], 0, 1, "float32", 13);
      const images = G.forward(z).images;
      const expected = before[`DCGAN.${name}`];
      expect(digest(images), name).toEqual(expected.train);
      expect(initial, name).toEqual(expected.state);
      tf.dispose([z, images]);
      G.dispose();
    }
  });
});

/** Sums and the first values of a tensor, as fixtures/before-refactor.json records them. */
function digest(t: tf.Tensor) {
  const d = t.dataSync();
  let sum = 0;
  let abs = 0;
  let weighted = 0;
  for (let i = 0; i < d.length; i++) {
    sum += d[i];
    abs += Math.abs(d[i]);
    weighted += d[i] * ((i % 97) - 48);
  }
  return { shape: t.shape, sum, abs, weighted, head: Array.from(d.slice(0, 8)) };
}
