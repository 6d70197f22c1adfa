import { describe, expect, it } from "vitest";
import { METRIC_DATASET_NAMES, METRIC_DATASETS, metricDataset, resolveClasses } from "../src/datasets";
import { balancedLabels } from "../src/labels";
import { formatEvalResult } from "../src/eval-command";
import { conditionalAccuracy, coverage, type Probabilities } from "../src/scores";

const probs = (rows: number[][]): Probabilities => ({ data: Float64Array.from(rows.flat()), n: rows.length, classes: rows[0].length });
/** A row of 10 probabilities: `p` on class `c`, the rest spread evenly. */
const onehot = (c: number, p: number) => Array.from({ length: 10 }, (_, i) => (i === c ? p : (1 - p) / 9));
/** `count` rows of {@link onehot}. */
const rows = (count: number, c: number, p: number) => Array.from({ length: count }, () => onehot(c, p));

describe("coverage", () => {
  it("counts the classes holding at least 2% of the confident samples", () => {
    // 100 confident samples: 60 of class 0, 30 of 1, 8 of 2, 2 of 3 (exactly 2%: covered), 0 of the rest;
    // plus 20 below the threshold (class 4 at p 0.9 exactly and class 5 at 0.5), which do not count at all.
    const p = probs([...rows(60, 0, 0.99), ...rows(30, 1, 0.95), ...rows(8, 2, 0.91), ...rows(2, 3, 0.97), ...rows(10, 4, 0.9), ...rows(10, 5, 0.5)]);
    expect(coverage(p)).toEqual({ count: 4, covered: [0, 1, 2, 3], of: 10, confident: 100 });
    // A stricter share drops class 3 (2%) and class 2 (8%).
    expect(coverage(p, { minShare: 0.1 })).toEqual({ count: 2, covered: [0, 1], of: 10, confident: 100 });
    // A lower threshold lets class 4's 10 samples in: 110 confident, 2/110 < 2% drops class 3.
    expect(coverage(p, { threshold: 0.85 })).toEqual({ count: 4, covered: [0, 1, 2, 4], of: 10, confident: 110 });
  });

  it("reports only the classes asked for, in their order, the share still out of every confident sample", () => {
    // 7s: 45, 8s: 1 (1 of 50 = 2%: covered), 3s: 4 (confident, outside the classes: counted in the denominator only).
    const p = probs([...rows(45, 7, 0.99), ...rows(1, 8, 0.99), ...rows(4, 3, 0.99)]);
    expect(coverage(p, { classes: [8, 7] })).toEqual({ count: 2, covered: [8, 7], of: 2, confident: 50 });
    expect(coverage(p, { classes: [7, 8], minShare: 0.021 })).toEqual({ count: 1, covered: [7], of: 2, confident: 50 });
  });

  it("covers nothing when no sample is confident", () => {
    expect(coverage(probs(rows(5, 2, 0.5)))).toEqual({ count: 0, covered: [], of: 10, confident: 0 });
  });
});

describe("conditionalAccuracy", () => {
  it("is the share called (argmax) the class asked for, overall and per class", () => {
    const p = probs([
      onehot(7, 0.95), // asked 7: right
      onehot(7, 0.4), //  asked 7: right (argmax, no threshold)
      onehot(1, 0.99), // asked 7: wrong
      onehot(8, 0.99), // asked 8: right
      onehot(3, 0.6), //  asked 8: wrong
      onehot(0, 0.99), // asked 0: right
    ]);
    const r = conditionalAccuracy(p, [7, 7, 7, 8, 8, 0]);
    expect(r.accuracy).toBe(4 / 6);
    expect(r.perClass).toEqual({ 0: 1, 7: 2 / 3, 8: 0.5 });
    expect(Object.keys(r.perClass)).toEqual(["0", "7", "8"]);
    expect(conditionalAccuracy(p, Int32Array.from([0, 0, 0, 0, 0, 0]))).toEqual({ accuracy: 1 / 6, perClass: { 0: 1 / 6 } });
  });

  it("refuses labels that do not match the samples", () => {
    expect(() => conditionalAccuracy(probs([onehot(1, 0.9)]), [1, 2])).toThrow(/2 requested labels for 1 samples/);
  });
});

describe("balancedLabels", () => {
  it("interleaves the classes, the first ones getting the remainder", () => {
    expect(Array.from(balancedLabels([7, 8], 5))).toEqual([7, 8, 7, 8, 7]);
    expect(Array.from(balancedLabels([0, 1, 2], 7))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});

describe("METRIC_DATASETS", () => {
  it("describes MNIST (7s and 8s by default) and Fashion-MNIST (all ten classes)", () => {
    expect(METRIC_DATASET_NAMES).toEqual(["mnist", "fashion-mnist"]);
    expect(metricDataset().defaultClasses).toEqual([7, 8]);
    expect(metricDataset("mnist").reference).toMatchObject({ source: "mnist-package", skipPerClass: 200 });
    expect(METRIC_DATASETS["fashion-mnist"]).toMatchObject({ defaultClasses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], reference: { source: "fashion-mnist-test", skipPerClass: 0 } });
    expect(METRIC_DATASETS["fashion-mnist"].weights.pathname).toMatch(/weights\/fashion-classifier\.safetensors$/);
    expect(METRIC_DATASETS.mnist.weights.pathname).toMatch(/weights\/digit-classifier\.safetensors$/);
    expect(() => metricDataset("cifar10")).toThrow(/unknown data set "cifar10"; known: mnist, fashion-mnist/);
  });

  it("resolves the classes: given, the former digits, or the data set's", () => {
    const fashion = metricDataset("fashion-mnist");
    expect(resolveClasses(fashion)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(resolveClasses(fashion, [5, 7], [1])).toEqual([5, 7]);
    expect(resolveClasses(metricDataset(), undefined, [3])).toEqual([3]);
    expect(() => resolveClasses(fashion, [1, 1])).toThrow(/distinct integers 0…9, got \[1, 1\]/);
    expect(() => resolveClasses(fashion, [10])).toThrow(/distinct integers 0…9/);
  });
});

describe("formatEvalResult", () => {
  const base = {
    n: 400,
    dataset: "mnist" as const,
    classes: [7, 8],
    digits: [7, 8],
    fid: 58.9,
    kid: 283.67861,
    purity: 0.9925,
    balance: 0.5,
    shares: [0.5, 0.5],
    coverage: 2,
    covered: [7, 8],
    seconds: 1.25,
  };

  it("adds coverage to the MNIST line, and names another data set and the conditional accuracy", () => {
    expect(formatEvalResult(base)).toBe("eval: n=400 FID 58.90 KID 283.6786 purity 0.993 balance 0.50 (7: 0.50, 8: 0.50) coverage 2/2 [1.3 s]");
    const conditional = { ...base, dataset: "fashion-mnist" as const, conditionalAccuracy: 0.9125, perClassAccuracy: { 7: 0.85, 8: 0.975 } };
    expect(formatEvalResult(conditional, "G")).toBe(
      "G: fashion-mnist n=400 FID 58.90 KID 283.6786 purity 0.993 balance 0.50 (7: 0.50, 8: 0.50) coverage 2/2 accuracy 0.912 (7: 0.85, 8: 0.97) [1.3 s]",
    );
  });
});
