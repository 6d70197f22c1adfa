import type { ImageDataset } from "./dataset";
import { DataError } from "./errors";
import { hash32 } from "./random";

/** Options of {@link kMeans}. */
export interface KMeansOptions {
  /** Seeds the k-means++ starts (default 0): the same points and seed give the same clusters. */
  seed?: number;
  /** k-means++ starts; the one with the least inertia wins (default 8). */
  restarts?: number;
  /** Lloyd iterations per start at most (default 100); a start stops earlier once no point changes cluster. */
  maxIterations?: number;
}

/** Clusters found by {@link kMeans}, numbered from the largest (cluster 0) to the smallest. */
export interface KMeansResult {
  /** The cluster of each point. */
  assignments: Int32Array;
  /** Points per cluster, non-increasing. */
  sizes: number[];
  /** The mean of each cluster's points. */
  centroids: Float64Array[];
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
}

/**
 * k-means (Lloyd's algorithm from k-means++ starts, Arthur & Vassilvitskii 2007) of `points`, all of one length.
 * Deterministic for a seed; an emptied cluster is re-seeded with the point farthest from its centroid, so a cluster
 * stays empty only when the points have fewer than `k` distinct values (it is numbered last, size 0). Costs
 * `restarts × iterations × points × k × dimensions` multiply-adds: seconds for thousands of 256-value points.
 */
export function kMeans(points: readonly ArrayLike<number>[], k: number, options: KMeansOptions = {}): KMeansResult {
  const n = points.length;
  if (!Number.isInteger(k) || k < 1) throw new DataError("BAD_OPTION", `kMeans: k must be a positive integer, got ${k}`);
  if (k > n) throw new DataError("BAD_OPTION", `kMeans: ${k} clusters for ${n} points; give at least as many points as clusters`);
  const dim = points[0].length;
  const bad = points.findIndex((p) => p.length !== dim);
  if (bad >= 0) throw new DataError("BAD_OPTION", `kMeans: point ${bad} has ${points[bad].length} values, point 0 has ${dim}`);
  const restarts = options.restarts ?? 8;
  const maxIterations = options.maxIterations ?? 100;
  const seed = (options.seed ?? 0) >>> 0;
  let best: { assignments: Int32Array; centroids: Float64Array[]; inertia: number } | undefined;
  for (let r = 0; r < restarts; r++) {
    const random = uniformStream(hash32(seed, r));
    const found = lloyd(points, initialCentroids(points, k, random), maxIterations);
    if (!best || found.inertia < best.inertia) best = found;
  }
  return orderedBySize(best!, k);
}

/** Uniform draws in [0, 1) from the counter-based stream `key`. */
function uniformStream(key: number): () => number {
  let counter = 0;
  return () => hash32(key, counter++) / 2 ** 32;
}

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** k-means++: the first centroid uniformly, each next one with probability proportional to the squared distance to the nearest so far. */
function initialCentroids(points: readonly ArrayLike<number>[], k: number, random: () => number): Float64Array[] {
  const n = points.length;
  const centroids = [Float64Array.from(points[Math.floor(random() * n)])];
  const nearest = Float64Array.from(points, (p) => squaredDistance(p, centroids[0]));
  while (centroids.length < k) {
    const total = nearest.reduce((a, b) => a + b, 0);
    let pick = 0;
    if (total > 0) {
      let u = random() * total - nearest[0];
      while (u >= 0 && pick < n - 1) u -= nearest[++pick];
    } else {
      pick = Math.floor(random() * n);
    }
    const c = Float64Array.from(points[pick]);
    centroids.push(c);
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i], squaredDistance(points[i], c));
  }
  return centroids;
}

function lloyd(points: readonly ArrayLike<number>[], centroids: Float64Array[], maxIterations: number) {
  const n = points.length;
  const k = centroids.length;
  const dim = centroids[0].length;
  const assignments = new Int32Array(n).fill(-1);
  const distances = new Float64Array(n);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let bestJ = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const d = squaredDistance(points[i], centroids[j]);
        if (d < bestD) {
          bestD = d;
          bestJ = j;
        }
      }
      distances[i] = bestD;
      if (assignments[i] !== bestJ) changed++;
      assignments[i] = bestJ;
    }
    if (changed === 0) break;
    const sums = Array.from({ length: k }, () => new Float64Array(dim));
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const s = sums[assignments[i]];
      const p = points[i];
      for (let d = 0; d < dim; d++) s[d] += p[d];
      counts[assignments[i]]++;
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] > 0) {
        for (let d = 0; d < dim; d++) sums[j][d] /= counts[j];
        centroids[j] = sums[j];
        continue;
      }
      // An empty cluster restarts at the point worst served by its centroid.
      let far = 0;
      for (let i = 1; i < n; i++) if (distances[i] > distances[far]) far = i;
      centroids[j] = Float64Array.from(points[far]);
      distances[far] = 0;
    }
  }
  const inertia = points.reduce((s, p, i) => s + squaredDistance(p, centroids[assignments[i]]), 0);
  return { assignments, centroids, inertia };
}

/** Renumbers the clusters from the largest to the smallest (ties by first appearance). */
function orderedBySize(found: { assignments: Int32Array; centroids: Float64Array[]; inertia: number }, k: number): KMeansResult {
  const counts = new Array<number>(k).fill(0);
  for (const a of found.assignments) counts[a]++;
  const order = counts.map((_, j) => j).sort((a, b) => counts[b] - counts[a] || a - b);
  const rank = new Int32Array(k);
  order.forEach((j, r) => {
    rank[j] = r;
  });
  return {
    assignments: Int32Array.from(found.assignments, (a) => rank[a]),
    sizes: order.map((j) => counts[j]),
    centroids: order.map((j) => found.centroids[j]),
    inertia: found.inertia,
  };
}

/** Options of {@link clusterImages}. */
export interface ClusterImagesOptions extends KMeansOptions {
  /** Side of the thumbnails clustered (default 16): each image is averaged over square blocks down to `size × size`. */
  size?: number;
}

/**
 * Groups the images of `dataset` into `k` clusters of look-alikes, without labels: k-means ({@link kMeans}) of
 * `size × size` thumbnails (block averages of the 8-bit pixels, every channel kept, scaled to [-1, 1]). The
 * clusters serve as pseudo-classes for a class-conditional GAN on unlabelled data (self-conditioned GAN, Liu et
 * al. 2020, which clusters discriminator features instead): each cluster gets a mode of its own in G. On
 * Fashion-MNIST that gave a better FID than an unconditional generator, not more of the rarest class
 * (docs/quality.md). Cluster 0 is the largest.
 */
export async function clusterImages(dataset: ImageDataset, k: number, options: ClusterImagesOptions = {}): Promise<KMeansResult> {
  const size = options.size ?? 16;
  const { height, width, channels } = dataset;
  if (!Number.isInteger(size) || size < 1 || height % size !== 0 || width % size !== 0) {
    throw new DataError("BAD_OPTION", `clusterImages: size must divide the images' ${height}×${width}, got ${size}`);
  }
  const bh = height / size;
  const bw = width / size;
  const scale = 2 / (255 * bh * bw);
  const thumbnails: Float32Array[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const bytes = await dataset.readBytes(i);
    const t = new Float32Array(size * size * channels);
    for (let y = 0; y < height; y++) {
      const ty = Math.floor(y / bh);
      for (let x = 0; x < width; x++) {
        const base = (ty * size + Math.floor(x / bw)) * channels;
        for (let c = 0; c < channels; c++) t[base + c] += bytes[(y * width + x) * channels + c];
      }
    }
    for (let j = 0; j < t.length; j++) t[j] = t[j] * scale - 1;
    thumbnails.push(t);
  }
  return kMeans(thumbnails, k, options);
}
