import { argmax, isPure, type Prediction, type Probabilities, PURITY_THRESHOLD } from "./scores";

/** One sample that fails the purity test, and what the classifier called it. */
export interface RejectedSample extends Prediction {
  /** Its position among the scored samples. */
  index: number;
}

/** What {@link rejectedSamples} returns: the samples `purity` does not count, and why. */
export interface RejectedSamples {
  /** Samples scored. */
  n: number;
  /** The digits a sample must be called (in the caller's order). */
  digits: number[];
  /** The purity threshold: a sample must be called one of `digits` with p strictly above it. */
  threshold: number;
  /** Indices of the rejected samples, ascending. `indices.length === Math.round((1 - purity) * n)`. */
  indices: number[];
  /** Per rejected sample (in `indices` order): the classifier's most probable class and its probability. */
  samples: RejectedSample[];
  /** Rejected samples called a class outside `digits`, counted per class (only classes that occur). */
  otherDigit: Record<number, number>;
  /** Rejected samples called one of `digits` but with p ≤ `threshold`, counted per digit (only digits that occur). */
  belowThreshold: Record<number, number>;
}

/**
 * The samples that fail the purity test of `purity` — the classifier's most probable class is not one of
 * `digits`, or is but with p ≤ `threshold` (default 0.9) — with what the classifier called each and the counts
 * of both kinds. Exactly the complement of the samples `purity` counts.
 */
export function rejectedSamples(probs: Probabilities, digits: readonly number[], threshold = PURITY_THRESHOLD): RejectedSamples {
  if (probs.data.length !== probs.n * probs.classes) {
    throw new Error(`rejectedSamples: ${probs.data.length} probabilities are not ${probs.n} samples × ${probs.classes} classes`);
  }
  const out: RejectedSamples = { n: probs.n, digits: [...digits], threshold, indices: [], samples: [], otherDigit: {}, belowThreshold: {} };
  for (let index = 0; index < probs.n; index++) {
    const prediction = argmax(probs, index);
    if (isPure(prediction, digits, threshold)) continue;
    out.indices.push(index);
    out.samples.push({ index, ...prediction });
    const counts = digits.includes(prediction.label) ? out.belowThreshold : out.otherDigit;
    counts[prediction.label] = (counts[prediction.label] ?? 0) + 1;
  }
  return out;
}

/**
 * One line: `rejected 87 of 400: called 9: 33, 3: 16, 2: 1; 7 below p 0.9: 16, 8 below p 0.9: 24` (other classes
 * by count, most first; then the digits in their order). `rejected 0 of 400` when every sample is pure.
 */
export function formatRejected(r: RejectedSamples): string {
  const head = `rejected ${r.indices.length} of ${r.n}`;
  const parts: string[] = [];
  const other = Object.entries(r.otherDigit)
    .map(([label, count]) => [Number(label), count] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (other.length > 0) parts.push(`called ${other.map(([label, count]) => `${label}: ${count}`).join(", ")}`);
  const below = [...new Set(r.digits)].filter((d) => r.belowThreshold[d]).map((d) => `${d} below p ${r.threshold}: ${r.belowThreshold[d]}`);
  if (below.length > 0) parts.push(below.join(", "));
  return parts.length > 0 ? `${head}: ${parts.join("; ")}` : head;
}
