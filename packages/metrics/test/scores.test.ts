import { describe, expect, it } from "vitest";
import { meanAndCovariance, symmetricEigen, traceSqrtProduct } from "../src/linalg";
import { classBalance, type Features, features, fid, kid, polynomialKernel, purity } from "../src/scores";

/** Deterministic Gaussian-ish samples (sum of uniforms) with a per-dimension scale and shift. */
function mulberry32(seed: number): { nextFloat(): number } {
  let a = seed >>> 0;
  return {
    nextFloat() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

function sample(n: number, d: number, seed: number, shift = 0, scale = 1): Features {
  const r = mulberry32(seed * 7919 + 13);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += r.nextFloat() - 0.5;
    data[i] = s * Math.sqrt(3) * scale * (1 + (i % d) / d) + shift;
  }
  return { data, n, d };
}

describe("linear algebra", () => {
  it("symmetricEigen reconstructs the matrix, with orthonormal vectors", () => {
    const { cov } = meanAndCovariance(sample(50, 12, 1).data, 50, 12);
    const { values, vectors } = symmetricEigen(cov, 12);
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++) {
        let a = 0;
        let o = 0;
        for (let k = 0; k < 12; k++) {
          a += vectors[i * 12 + k] * values[k] * vectors[j * 12 + k];
          o += vectors[k * 12 + i] * vectors[k * 12 + j];
        }
        expect(a).toBeCloseTo(cov[i * 12 + j], 10);
        expect(o).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it("tr √(AB) of diagonal matrices is Σ √(aᵢbᵢ)", () => {
    const a = new Float64Array([4, 0, 0, 0, 9, 0, 0, 0, 1]);
    const b = new Float64Array([1, 0, 0, 0, 4, 0, 0, 0, 16]);
    expect(traceSqrtProduct(a, b, 3)).toBeCloseTo(2 + 6 + 4, 10);
  });
});

describe("fid", () => {
  it("is ≈ 0 for a set against itself", () => {
    const x = sample(300, 32, 2);
    expect(fid(x, x)).toBeLessThan(1e-6);
  });

  it("equals the closed form for 1-D sets: (μ₁−μ₂)² + (σ₁−σ₂)²", () => {
    const a = features([0, 2], 2, 1); // mean 1, var 2
    const b = features([5, 13], 2, 1); // mean 9, var 32
    expect(fid(a, b)).toBeCloseTo(64 + (Math.sqrt(2) - Math.sqrt(32)) ** 2, 8);
  });

  it("grows with the distance between distributions", () => {
    const x = sample(300, 16, 3);
    const near = sample(300, 16, 4);
    const far = sample(300, 16, 5, 1, 2);
    expect(fid(x, near)).toBeLessThan(fid(x, far) / 10);
  });
});

describe("kid", () => {
  it("matches a brute-force evaluation of the unbiased MMD² formula", () => {
    const x = sample(7, 3, 6);
    const y = sample(5, 3, 7, 0.5);
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) if (i !== j) xx += polynomialKernel(x.data, i, x.data, j, 3);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (i !== j) yy += polynomialKernel(y.data, i, y.data, j, 3);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) xy += polynomialKernel(x.data, i, y.data, j, 3);
    expect(kid(x, y)).toBeCloseTo(xx / 42 + yy / 20 - (2 * xy) / 35, 10);
  });

  it("is unbiased: averages to 0 over many pairs of small sets from one distribution (the biased V-statistic does not)", () => {
    let unbiased = 0;
    let biased = 0;
    const reps = 200;
    for (let r = 0; r < reps; r++) {
      const x = sample(10, 4, 100 + 2 * r);
      const y = sample(10, 4, 101 + 2 * r);
      const k = kid(x, y);
      unbiased += k;
      // Biased estimator: include the diagonal terms k(xᵢ, xᵢ).
      let diag = 0;
      for (let i = 0; i < 10; i++) diag += polynomialKernel(x.data, i, x.data, i, 4) + polynomialKernel(y.data, i, y.data, i, 4);
      let off = 0;
      for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) if (i !== j) off += polynomialKernel(x.data, i, x.data, j, 4) + polynomialKernel(y.data, i, y.data, j, 4);
      let cross = 0;
      for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) cross += polynomialKernel(x.data, i, y.data, j, 4);
      biased += (diag + off) / 100 - (2 * cross) / 100;
    }
    unbiased /= reps;
    biased /= reps;
    expect(Math.abs(unbiased)).toBeLessThan(0.02);
    expect(biased).toBeGreaterThan(0.1);
    expect(Math.abs(unbiased)).toBeLessThan(biased / 5);
  });

  it("is ≫ 0 for different distributions", () => {
    expect(kid(sample(100, 8, 8), sample(100, 8, 9, 1))).toBeGreaterThan(0.5);
  });
});

describe("purity and classBalance", () => {
  const probs = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), n: rows.length, classes: rows[0].length });
  const onehot = (c: number, p: number) => Array.from({ length: 10 }, (_, i) => (i === c ? p : (1 - p) / 9));

  it("counts confident samples of the training digits", () => {
    const p = probs([onehot(7, 0.95), onehot(8, 0.99), onehot(8, 0.8), onehot(3, 0.99)]);
    expect(purity(p, [7, 8])).toBe(0.5);
    expect(classBalance(p, [7, 8])).toEqual({ shares: [0.5, 0.5], balance: 0.5, counted: 2 });
    const collapsed = probs([onehot(8, 0.95), onehot(8, 0.99)]);
    expect(classBalance(collapsed, [7, 8]).balance).toBe(0);
    expect(purity(collapsed, [7, 8], 0.995)).toBe(0);
  });
});
