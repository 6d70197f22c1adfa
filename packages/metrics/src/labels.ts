/** The labels a conditional generator is asked for when it is scored or drawn: pure functions, browser-safe. */

/** `n` labels balanced over `classes`, interleaved `c₀, c₁, …, c₀, c₁, …` (the first classes get the remainder). */
export function balancedLabels(classes: readonly number[], n: number): Int32Array {
  if (classes.length === 0) throw new Error("balancedLabels: no classes");
  return Int32Array.from({ length: n }, (_, i) => classes[i % classes.length]);
}

/**
 * `n` labels in proportion to `weights` (label `j` about `n · weights[j] / Σ weights` times), in label order:
 * sample `i` takes the label whose share of the cumulative weight holds `(i + ½) / n`. Deterministic, so that
 * evaluations at equal n compare.
 */
export function marginalLabels(weights: readonly number[], n: number): Int32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0 || !(total > 0) || weights.some((w) => !(w >= 0))) {
    throw new Error(`marginalLabels: expected non-negative weights with a positive sum, got [${weights.join(", ")}]`);
  }
  const labels = new Int32Array(n);
  let j = 0;
  let upTo = weights[0];
  for (let i = 0; i < n; i++) {
    const u = ((i + 0.5) / n) * total;
    while (u > upTo && j < weights.length - 1) upTo += weights[++j];
    labels[i] = j;
  }
  return labels;
}
