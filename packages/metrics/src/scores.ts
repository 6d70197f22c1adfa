import { meanAndCovariance, traceSqrtProduct } from "./linalg";

/** Feature vectors: `n` rows of `d` values (row-major). */
export interface Features {
  data: Float64Array;
  n: number;
  d: number;
}

/** Wraps row-major values as {@link Features}. */
export function features(data: ArrayLike<number>, n: number, d: number): Features {
  if (data.length !== n * d) throw new Error(`features: ${data.length} values are not ${n} × ${d}`);
  return { data: Float64Array.from(data), n, d };
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets:
 * `‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁Σ₂)` (unbiased covariances; the square root by Jacobi eigendecomposition).
 * It is biased upwards at small n, so compare values only at equal n.
 */
export function fid(a: Features, b: Features): number {
  if (a.d !== b.d) throw new Error(`fid: feature sizes differ (${a.d} vs ${b.d})`);
  const d = a.d;
  const s1 = meanAndCovariance(a.data, a.n, d);
  const s2 = meanAndCovariance(b.data, b.n, d);
  let dist = 0;
  let tr = 0;
  for (let i = 0; i < d; i++) {
    const diff = s1.mean[i] - s2.mean[i];
    dist += diff * diff;
    tr += s1.cov[i * d + i] + s2.cov[i * d + i];
  }
  return Math.max(dist + tr - 2 * traceSqrtProduct(s1.cov, s2.cov, d), 0);
}

/** The cubic polynomial kernel of KID: `k(x, y) = (xᵀy / d + 1)³`. */
export function polynomialKernel(x: Float64Array, xi: number, y: Float64Array, yj: number, d: number): number {
  let dot = 0;
  const xo = xi * d;
  const yo = yj * d;
  for (let k = 0; k < d; k++) dot += x[xo + k] * y[yo + k];
  const v = dot / d + 1;
  return v * v * v;
}

/**
 * Kernel Inception Distance: the unbiased estimator of MMD² with the cubic polynomial kernel,
 * `1/(m(m−1)) Σ_{i≠j} k(xᵢ,xⱼ) + 1/(n(n−1)) Σ_{i≠j} k(yᵢ,yⱼ) − 2/(mn) Σ k(xᵢ,yⱼ)`, over all samples (no
 * subsets). Its expectation is 0 when both sets come from one distribution (it can be slightly negative).
 */
export function kid(a: Features, b: Features): number {
  if (a.d !== b.d) throw new Error(`kid: feature sizes differ (${a.d} vs ${b.d})`);
  if (a.n < 2 || b.n < 2) throw new Error("kid: need at least 2 samples in each set");
  const d = a.d;
  let kxx = 0;
  for (let i = 0; i < a.n; i++) for (let j = i + 1; j < a.n; j++) kxx += polynomialKernel(a.data, i, a.data, j, d);
  let kyy = 0;
  for (let i = 0; i < b.n; i++) for (let j = i + 1; j < b.n; j++) kyy += polynomialKernel(b.data, i, b.data, j, d);
  let kxy = 0;
  for (let i = 0; i < a.n; i++) for (let j = 0; j < b.n; j++) kxy += polynomialKernel(a.data, i, b.data, j, d);
  return (2 * kxx) / (a.n * (a.n - 1)) + (2 * kyy) / (b.n * (b.n - 1)) - (2 * kxy) / (a.n * b.n);
}

/** Class probabilities: `n` rows of `classes` values (row-major). */
export interface Probabilities {
  data: Float32Array | Float64Array;
  n: number;
  classes: number;
}

/** The default purity threshold: a sample is pure when the classifier calls one of the digits with p above it. */
export const PURITY_THRESHOLD = 0.9;

/** The classifier's call on one sample: its most probable class and that probability. */
export interface Prediction {
  label: number;
  p: number;
}

/** The most probable class of sample `i` (the first one on ties) and its probability. */
export function argmax(p: Probabilities, i: number): Prediction {
  let label = 0;
  let best = -Infinity;
  for (let c = 0; c < p.classes; c++) {
    const v = p.data[i * p.classes + c];
    if (v > best) {
      best = v;
      label = c;
    }
  }
  return { label, p: best };
}

/** Whether a prediction passes the purity test: one of `digits`, with p strictly above `threshold`. */
export function isPure(prediction: Prediction, digits: readonly number[], threshold = PURITY_THRESHOLD): boolean {
  return prediction.p > threshold && digits.includes(prediction.label);
}

/**
 * Purity: the share of samples the classifier assigns to one of `digits` with probability above `threshold`
 * (default 0.9).
 */
export function purity(probs: Probabilities, digits: readonly number[], threshold = PURITY_THRESHOLD): number {
  if (probs.n === 0) return 0;
  let pure = 0;
  for (let i = 0; i < probs.n; i++) {
    if (isPure(argmax(probs, i), digits, threshold)) pure++;
  }
  return pure / probs.n;
}

/** What {@link classBalance} returns. */
export interface ClassBalance {
  /** Per digit (in `digits` order): its share among the samples confidently called one of `digits`. */
  shares: number[];
  /** `shares[0]`: for two digits, 0.5 is perfect balance, 0 or 1 a collapse onto one digit. */
  balance: number;
  /** How many samples were confidently called one of `digits`. */
  counted: number;
}

/**
 * Class balance among the samples the classifier confidently (p > `threshold`, default 0.9) calls one of
 * `digits`: each digit's share (all 0 when none is).
 */
export function classBalance(probs: Probabilities, digits: readonly number[], threshold = PURITY_THRESHOLD): ClassBalance {
  const counts = digits.map(() => 0);
  let counted = 0;
  for (let i = 0; i < probs.n; i++) {
    const prediction = argmax(probs, i);
    if (isPure(prediction, digits, threshold)) {
      counts[digits.indexOf(prediction.label)]++;
      counted++;
    }
  }
  const shares = counts.map((c) => (counted === 0 ? 0 : c / counted));
  return { shares, balance: shares[0] ?? 0, counted };
}

/** The default share of the confident samples a class must hold to count as covered by {@link coverage}. */
export const COVERAGE_MIN_SHARE = 0.02;

/** Options of {@link coverage}. */
export interface CoverageOptions {
  /** A sample is confident when its most probable class has p strictly above this (default 0.9). */
  threshold?: number;
  /** A class is covered when it holds at least this share of the confident samples (default 0.02). */
  minShare?: number;
  /** The classes that may count (default all `probs.classes` of the classifier), in the order reported. */
  classes?: readonly number[];
}

/** What {@link coverage} returns. */
export interface Coverage {
  /** How many of `classes` are covered. */
  count: number;
  /** The covered classes, in the order of `classes`. */
  covered: number[];
  /** How many classes could have been: `classes.length`. */
  of: number;
  /** Samples called a class (any class, also outside `classes`) with p above the threshold: the denominator. */
  confident: number;
}

/**
 * Coverage: which of `classes` the samples actually show. A class is covered when at least `minShare` (default
 * 2%) of the confident samples — those whose most probable class has p > `threshold` (default 0.9), whatever that
 * class — are called it. A generator that collapsed onto a few classes covers only those; 8 of 400 samples (2%)
 * suffice for a class at the defaults. No class is covered when no sample is confident.
 */
export function coverage(probs: Probabilities, options: CoverageOptions = {}): Coverage {
  const threshold = options.threshold ?? PURITY_THRESHOLD;
  const minShare = options.minShare ?? COVERAGE_MIN_SHARE;
  const classes = options.classes ?? Array.from({ length: probs.classes }, (_, c) => c);
  const counts = new Array<number>(probs.classes).fill(0);
  let confident = 0;
  for (let i = 0; i < probs.n; i++) {
    const prediction = argmax(probs, i);
    if (prediction.p > threshold) {
      counts[prediction.label]++;
      confident++;
    }
  }
  const covered = confident === 0 ? [] : classes.filter((c) => (counts[c] ?? 0) / confident >= minShare);
  return { count: covered.length, covered, of: classes.length, confident };
}

/** What {@link conditionalAccuracy} returns. */
export interface ConditionalAccuracy {
  /** Share of all samples whose most probable class is the class asked for. */
  accuracy: number;
  /** Per class asked for (classes that were asked for only): the share of its samples called that class. */
  perClass: Record<number, number>;
}

/**
 * Conditional accuracy of a class-conditional generator: the share of samples the classifier assigns (argmax,
 * no threshold) to the class they were generated for, `requestedLabels[i]` for sample `i` (in the classifier's
 * labels), overall and per class asked for. 1 when every sample shows its class; about `1 / classes` when
 * the generator ignores the labels.
 */
export function conditionalAccuracy(probs: Probabilities, requestedLabels: ArrayLike<number>): ConditionalAccuracy {
  if (requestedLabels.length !== probs.n) {
    throw new Error(`conditionalAccuracy: ${requestedLabels.length} requested labels for ${probs.n} samples`);
  }
  const asked = new Map<number, number>();
  const hits = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < probs.n; i++) {
    const label = requestedLabels[i];
    const hit = argmax(probs, i).label === label ? 1 : 0;
    correct += hit;
    asked.set(label, (asked.get(label) ?? 0) + 1);
    hits.set(label, (hits.get(label) ?? 0) + hit);
  }
  const perClass: Record<number, number> = {};
  for (const label of [...asked.keys()].sort((a, b) => a - b)) perClass[label] = (hits.get(label) ?? 0) / (asked.get(label) ?? 1);
  return { accuracy: probs.n === 0 ? 0 : correct / probs.n, perClass };
}
