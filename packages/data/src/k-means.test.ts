import { describe, expect, it } from "vitest";
import { ArrayImageDataset } from "./dataset";
import { clusterImages, kMeans } from "./k-means";
import { hash32 } from "./random";

/** `count` points around `center`, spread ±`spread` by a fixed hash. */
function blob(center: number[], count: number, spread: number, key: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => Float32Array.from(center, (c, d) => c + spread * (hash32(key, i * center.length + d) / 2 ** 32 - 0.5)));
}

describe("kMeans", () => {
  it("finds well-separated blobs, numbered from the largest, with their means as centroids", () => {
    const a = blob([0, 0], 20, 1, 1);
    const b = blob([10, 0], 40, 1, 2);
    const c = blob([0, 10], 30, 1, 3);
    const points = [...a, ...b, ...c];
    const r = kMeans(points, 3, { seed: 5 });
    expect(r.sizes).toEqual([40, 30, 20]);
    expect([...r.assignments]).toEqual([...new Array(20).fill(2), ...new Array(40).fill(0), ...new Array(30).fill(1)]);
    const mean = (ps: Float32Array[]) => [0, 1].map((d) => ps.reduce((s, p) => s + p[d], 0) / ps.length);
    for (const [j, ps] of [b, c, a].entries()) {
      expect(r.centroids[j][0]).toBeCloseTo(mean(ps)[0], 10);
      expect(r.centroids[j][1]).toBeCloseTo(mean(ps)[1], 10);
    }
  });

  it("ends at a fixed point of Lloyd's algorithm: every point at its nearest centroid, every centroid its points' mean", () => {
    const points = blob(new Array(8).fill(0), 300, 2, 7);
    const r = kMeans(points, 5, { seed: 1, restarts: 2 });
    expect(r.sizes.reduce((x, y) => x + y, 0)).toBe(300);
    expect(r.sizes).toEqual([...r.sizes].sort((x, y) => y - x));
    const d2 = (p: Float32Array, q: Float64Array) => p.reduce((s, v, i) => s + (v - q[i]) ** 2, 0);
    let inertia = 0;
    for (const [i, p] of points.entries()) {
      const own = d2(p, r.centroids[r.assignments[i]]);
      inertia += own;
      for (const q of r.centroids) expect(own).toBeLessThanOrEqual(d2(p, q) + 1e-9);
    }
    expect(r.inertia).toBeCloseTo(inertia, 6);
    for (let j = 0; j < 5; j++) {
      const members = points.filter((_, i) => r.assignments[i] === j);
      for (let d = 0; d < 8; d++) expect(r.centroids[j][d]).toBeCloseTo(members.reduce((s, p) => s + p[d], 0) / members.length, 10);
    }
  });

  it("is deterministic for a seed, and more starts never end worse", () => {
    const points = blob([0, 0, 0], 200, 4, 11);
    const once = kMeans(points, 6, { seed: 3 });
    expect(kMeans(points, 6, { seed: 3 })).toEqual(once);
    expect(kMeans(points, 6, { seed: 3, restarts: 16 }).inertia).toBeLessThanOrEqual(once.inertia);
    // One cluster: the points' total squared deviation from their mean.
    const mean = [0, 1, 2].map((d) => points.reduce((s, p) => s + p[d], 0) / points.length);
    const total = points.reduce((s, p) => s + p.reduce((t, v, d) => t + (v - mean[d]) ** 2, 0), 0);
    expect(kMeans(points, 1).inertia).toBeCloseTo(total, 6);
  });

  it("as many clusters as distinct points: each its own cluster; more leave the last ones empty", () => {
    const points = [[1, 1], [3, 3], [5, 5]].map((p) => Float32Array.from(p));
    expect(kMeans(points, 3).sizes).toEqual([1, 1, 1]);
    expect(new Set(kMeans(points, 3).assignments).size).toBe(3);
    const duplicates = [[1, 1], [1, 1], [5, 5]].map((p) => Float32Array.from(p));
    expect(kMeans(duplicates, 3).sizes).toEqual([2, 1, 0]);
  });

  it("names what is wrong with its input", () => {
    const points = [Float32Array.from([0, 0]), Float32Array.from([1, 1])];
    expect(() => kMeans(points, 0)).toThrow("kMeans: k must be a positive integer, got 0");
    expect(() => kMeans(points, 3)).toThrow("kMeans: 3 clusters for 2 points; give at least as many points as clusters");
    expect(() => kMeans([...points, Float32Array.from([1])], 2)).toThrow("kMeans: point 2 has 1 values, point 0 has 2");
  });
});

describe("clusterImages", () => {
  /** A 64×64 image: dark, with a bright 16×16 square at (x, y), a little noise. */
  const square = (x: number, y: number, key: number, channels: 1 | 3 = 1, color = [255, 255, 255]) => {
    const bytes = new Uint8Array(64 * 64 * channels);
    for (let i = 0; i < 64 * 64; i++) {
      const inside = i % 64 >= x && i % 64 < x + 16 && Math.floor(i / 64) >= y && Math.floor(i / 64) < y + 16;
      for (let c = 0; c < channels; c++) bytes[i * channels + c] = inside ? color[c] - (hash32(key, i) % 40) : hash32(key, i) % 40;
    }
    return bytes;
  };

  it("groups images by look: the same corner, the same cluster", async () => {
    const images = [...Array.from({ length: 6 }, (_, i) => square(0, 0, i)), ...Array.from({ length: 4 }, (_, i) => square(40, 40, 10 + i))];
    const r = await clusterImages(new ArrayImageDataset(images, { height: 64, width: 64 }), 2);
    expect(r.sizes).toEqual([6, 4]);
    expect([...r.assignments]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    // 16×16 thumbnails in [-1, 1]: the bright square covers 4×4 of them.
    expect(r.centroids[0]).toHaveLength(256);
    expect(Math.max(...r.centroids[0])).toBeGreaterThan(0.6);
    expect(Math.min(...r.centroids[0])).toBeLessThan(-0.8);
  });

  it("keeps the colour: red and blue squares of one brightness fall apart", async () => {
    const red = Array.from({ length: 3 }, (_, i) => square(20, 20, i, 3, [255, 40, 40]));
    const blue = Array.from({ length: 3 }, (_, i) => square(20, 20, 5 + i, 3, [40, 40, 255]));
    const r = await clusterImages(new ArrayImageDataset([...red, ...blue], { height: 64, width: 64, channels: 3 }), 2, { size: 8 });
    expect(r.centroids[0]).toHaveLength(8 * 8 * 3);
    expect(new Set(r.assignments.slice(0, 3)).size).toBe(1);
    expect(new Set(r.assignments.slice(3)).size).toBe(1);
    expect(r.assignments[0]).not.toBe(r.assignments[3]);
  });

  it("needs a thumbnail size that divides the images", async () => {
    const dataset = new ArrayImageDataset([square(0, 0, 1), square(8, 8, 2)], { height: 64, width: 64 });
    await expect(clusterImages(dataset, 2, { size: 24 })).rejects.toThrow("clusterImages: size must divide the images' 64×64, got 24");
  });
});
