import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, gradientCase, loadFixture } from "../test/parity";
import { LatentGap } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("LatentGap", () => {
  const { tensors } = loadFixture("layers_latent_gap.safetensors");

  for (const [name, layer] of [
    ["gap.default", new LatentGap()],
    ["gap.d3", new LatentGap({ dims: 3, gap: 1, scale: 0.25 })],
    ["gap.all", new LatentGap({ dims: 4, gap: 0.5, scale: 2 })],
  ] as const) {
    it(`${name} matches PyTorch (output and input gradient)`, () => {
      const errors = gradientCase(layer, (x) => layer.forward(x), tensors, name);
      expectParity(errors, name);
    });
  }

  it("leaves no code inside the gap, keeps the other coordinates and the shape, and has no parameters", () => {
    const layer = new LatentGap({ dims: 2 });
    expect(layer.namedParameters()).toEqual([]);
    const z = tf.randomNormal([500, 20], 0, 1, "float32", 3);
    const y = layer.forward(z);
    expect(y.shape).toEqual([500, 20]);
    const [a, b] = [z.arraySync() as number[][], y.arraySync() as number[][]];
    for (let i = 0; i < 500; i++) {
      for (const j of [0, 1]) {
        expect(Math.abs(b[i][j])).toBeGreaterThanOrEqual(2);
        expect(Math.sign(b[i][j])).toBe(Math.sign(a[i][j]));
      }
      expect(b[i].slice(2)).toEqual(a[i].slice(2));
    }
    // Both signs of each split coordinate occur: four clusters in all.
    const clusters = new Set(b.map((row) => `${row[0] > 0}${row[1] > 0}`));
    expect(clusters.size).toBe(4);
    const grid = layer.forward(tf.reshape(z, [500, 1, 1, 20]));
    expect(grid.shape).toEqual([500, 1, 1, 20]);
    expect(Array.from(grid.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([z, y, grid]);
  });

  it("rejects bad options and too short codes, naming the option", () => {
    expect(() => new LatentGap({ dims: 0 })).toThrow(/LatentGap option 'dims' must be a positive integer, got 0/);
    expect(() => new LatentGap({ gap: -1 })).toThrow(/LatentGap option 'gap' must be a finite number ≥ 0, got -1/);
    expect(() => new LatentGap({ scale: 0 })).toThrow(/LatentGap option 'scale' must be a finite number > 0, got 0/);
    const z = tf.zeros([2, 3]);
    expect(() => new LatentGap({ dims: 4 }).forward(z)).toThrow(/LatentGap with dims 4 needs codes with at least 4 coordinates, got \[2,3\]/);
    z.dispose();
  });
});
