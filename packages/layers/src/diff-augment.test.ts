import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "./register-gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { diffAugment, diffAugmentPolicy, translate, withDiffAugment, withoutDiffAugment } from "./diff-augment";
import { Random } from "./random";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const images = (seed = 1) => new Random(seed).uniform([4, 16, 16, 1], -1, 1) as tf.Tensor4D;

describe("diffAugment", () => {
  it("is the identity (the same tensor) with an empty policy", () => {
    const x = images();
    expect(diffAugment(x, { policy: [] })).toBe(x);
    expect(diffAugment(x, { policy: "" })).toBe(x);
    x.dispose();
  });

  it("rejects unknown transforms and parses strings", () => {
    expect(diffAugmentPolicy("color, cutout")).toEqual(["color", "cutout"]);
    expect(() => diffAugmentPolicy("flip")).toThrow(/unknown transform 'flip'/);
  });

  it("translation shifts each sample by whole pixels with zero fill", () => {
    const x = tf.tidy(() => tf.add(images(), 2) as tf.Tensor4D); // all pixels in [1, 3]: zeros can only be the fill
    const y = diffAugment(x, { policy: ["translation"], random: new Random(3) });
    const xv = x.arraySync();
    const yv = y.arraySync();
    for (let b = 0; b < 4; b++) {
      // Find the shift that explains the output.
      let found = false;
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let ok = true;
          for (let i = 0; i < 16 && ok; i++) {
            for (let j = 0; j < 16 && ok; j++) {
              const si = i - dy;
              const sj = j - dx;
              const want = si >= 0 && si < 16 && sj >= 0 && sj < 16 ? xv[b][si][sj][0] : 0;
              ok = Math.abs(yv[b][i][j][0] - want) < 1e-6;
            }
          }
          found = ok;
        }
      }
      expect(found).toBe(true);
    }
    tf.dispose([x, y]);
  });

  it("translation moves every channel of a sample by the same shift", () => {
    // Channel k is channel 0 plus k, with channel 0 in [1, 3]: where not filled, out_k − out_0 = k; the fill is 0 in all.
    const x = tf.tidy(() => {
      const base = tf.add(images(), 2);
      return tf.concat([base, tf.add(base, 1), tf.add(base, 2)], 3) as tf.Tensor4D;
    });
    const y = diffAugment(x, { policy: ["translation"], random: new Random(4) });
    const v = y.arraySync();
    let filled = 0;
    for (const sample of v) {
      for (const row of sample) {
        for (const [c0, c1, c2] of row) {
          if (c0 === 0) {
            filled++;
            expect([c1, c2]).toEqual([0, 0]);
          } else {
            expect(c1 - c0).toBeCloseTo(1, 5);
            expect(c2 - c0).toBeCloseTo(2, 5);
          }
        }
      }
    }
    expect(filled).toBeGreaterThan(0);
    tf.dispose([x, y]);
  });

  it("translation's host loop and shift-matrix products agree bit for bit, values and gradients", () => {
    const x = tf.tidy(() => tf.concat([images(2), images(3)], 3) as tf.Tensor4D); // 2 channels
    const r = new Random(8).normal([4, 16, 16, 2]);
    const run = (path: "host" | "matmul") => {
      const f = (v: tf.Tensor) => translate(v as tf.Tensor4D, 0.25, new Random(6), path);
      const y = tf.tidy(() => f(x));
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), r)))(x);
      const out = [Array.from(y.dataSync()), Array.from(g.dataSync())];
      tf.dispose([y, g]);
      return out;
    };
    const [hostY, hostG] = run("host");
    const [matY, matG] = run("matmul");
    expect(hostY).toEqual(matY);
    expect(hostG).toEqual(matG);
    expect(hostY.filter((v) => v === 0).length).toBeGreaterThan(0); // something was shifted in
    tf.dispose([x, r]);
  });

  it("cutout zeroes one square of half the side per sample", () => {
    const x = tf.ones([3, 16, 16, 1]) as tf.Tensor4D;
    const y = diffAugment(x, { policy: ["cutout"], random: new Random(5) });
    const zeros = Array.from(tf.sum(y, [1, 2, 3]).dataSync(), (s) => 256 - s);
    for (const z of zeros) {
      expect(z).toBeGreaterThan(0);
      expect(z).toBeLessThanOrEqual(64);
    }
    tf.dispose([x, y]);
  });

  it("is differentiable: gradients flow to the input through every transform", () => {
    const x = images(7);
    const r = new Random(9).normal([4, 16, 16, 1]);
    for (const policy of ["color", "translation", "cutout", "color,translation,cutout"]) {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(diffAugment(v as tf.Tensor4D, { policy, random: new Random(11) }), r)))(x);
      const values = g.dataSync();
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((v) => v !== 0)).toBe(true);
      // Same random draws → the gradient is the transform's linear map applied to r; check one case numerically.
      if (policy === "translation") {
        const f = (v: tf.Tensor) =>
          tf.tidy(() => tf.sum(tf.mul(diffAugment(v as tf.Tensor4D, { policy, random: new Random(11) }), r)).dataSync()[0]);
        const eps = 1e-2;
        const idx = [1, 8, 8, 0];
        const hot = new Float32Array(4 * 16 * 16);
        hot[(idx[0] * 16 + idx[1]) * 16 + idx[2]] = eps;
        const bump = tf.tensor4d(hot, [4, 16, 16, 1]);
        const num = (f(tf.add(x, bump)) - f(tf.sub(x, bump))) / (2 * eps);
        expect((g as tf.Tensor4D).arraySync()[1][8][8][0]).toBeCloseTo(num, 3);
        bump.dispose();
      }
      g.dispose();
    }
    tf.dispose([x, r]);
  });
});

describe("withDiffAugment", () => {
  const scorer = () => ({
    training: true,
    seen: [] as number[][],
    forward(images: tf.Tensor4D) {
      this.seen.push(Array.from(images.dataSync()));
      return tf.sum(images);
    },
  });

  it("augments in training mode only, and is undone by withoutDiffAugment", () => {
    const x = images();
    const d = withDiffAugment(scorer(), { policy: "translation,cutout", random: new Random(1) });
    tf.tidy(() => d.forward(x));
    expect(d.seen[0]).not.toEqual(Array.from(x.dataSync()));
    d.training = false;
    tf.tidy(() => d.forward(x));
    expect(d.seen[1]).toEqual(Array.from(x.dataSync()));
    d.training = true;
    withoutDiffAugment(d);
    tf.tidy(() => d.forward(x));
    expect(d.seen[2]).toEqual(Array.from(x.dataSync()));
    x.dispose();
  });

  it("leaves the discriminator untouched with an empty policy", () => {
    const d = scorer();
    const forward = d.forward;
    expect(withDiffAugment(d, { policy: [] }).forward).toBe(forward);
  });

  it("passes the forward options on (training steps ask for no attention maps)", () => {
    const received: unknown[] = [];
    const d = withDiffAugment(
      {
        training: true as boolean,
        forward(images: tf.Tensor4D, options?: { attentionMaps?: boolean }) {
          received.push(options);
          return tf.sum(images);
        },
      },
      { policy: "translation", random: new Random(2) },
    );
    const x = images();
    tf.tidy(() => d.forward(x, { attentionMaps: false }));
    d.training = false;
    tf.tidy(() => d.forward(x, { attentionMaps: false }));
    expect(received).toEqual([{ attentionMaps: false }, { attentionMaps: false }]);
    x.dispose();
  });
});
