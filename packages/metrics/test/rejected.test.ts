import { describe, expect, it } from "vitest";
import { formatRejected, rejectedSamples } from "../src/rejected";
import { classBalance, type Probabilities, purity } from "../src/scores";

const probs = (rows: number[][], array: "f32" | "f64" = "f32"): Probabilities => {
  const flat = rows.flat();
  return { data: array === "f32" ? Float32Array.from(flat) : Float64Array.from(flat), n: rows.length, classes: rows[0].length };
};
/** A row of 10 probabilities: `p` on class `c`, the rest spread evenly. */
const onehot = (c: number, p: number) => Array.from({ length: 10 }, (_, i) => (i === c ? p : (1 - p) / 9));

describe("rejectedSamples", () => {
  it("lists the samples purity does not count: other digits and 7s/8s at or below the threshold", () => {
    const p = probs(
      [
        onehot(7, 0.95), // 0 accepted
        onehot(9, 0.99), // 1 another digit, however confident
        onehot(8, 0.6), //  2 an 8 below p 0.9
        onehot(8, 0.99), // 3 accepted
        onehot(3, 0.5), //  4 another digit
        onehot(7, 0.9), //  5 exactly at the threshold: rejected (purity needs p > 0.9)
        onehot(9, 0.7), //  6 another digit
      ],
      "f64",
    );
    const r = rejectedSamples(p, [7, 8]);
    expect(r.indices).toEqual([1, 2, 4, 5, 6]);
    expect(r.samples.map(({ index, label }) => [index, label])).toEqual([
      [1, 9],
      [2, 8],
      [4, 3],
      [5, 7],
      [6, 9],
    ]);
    expect(r.samples[0].p).toBeCloseTo(0.99, 12);
    expect(r.samples[3].p).toBe(0.9);
    expect(r.otherDigit).toEqual({ 9: 2, 3: 1 });
    expect(r.belowThreshold).toEqual({ 7: 1, 8: 1 });
    expect(r).toMatchObject({ n: 7, digits: [7, 8], threshold: 0.9 });
    expect(r.indices.length).toBe(Math.round((1 - purity(p, [7, 8])) * p.n));
    expect(p.n - r.indices.length).toBe(classBalance(p, [7, 8]).counted);
  });

  it("follows the threshold and the digits it is given", () => {
    const p = probs([onehot(7, 0.95), onehot(8, 0.99), onehot(3, 0.99)]);
    expect(rejectedSamples(p, [7, 8], 0.97).indices).toEqual([0, 2]);
    expect(rejectedSamples(p, [7, 8], 0.97).belowThreshold).toEqual({ 7: 1 });
    expect(rejectedSamples(p, [3]).otherDigit).toEqual({ 7: 1, 8: 1 });
    expect(rejectedSamples(p, [3]).indices).toEqual([0, 1]);
  });

  it("rejects exactly as many samples as purity leaves out, on a random table at several thresholds", () => {
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const rows = Array.from({ length: 397 }, () => {
      const raw = Array.from({ length: 10 }, () => next() ** 6);
      const sum = raw.reduce((a, b) => a + b, 0);
      return raw.map((v) => v / sum);
    });
    const p = probs(rows);
    for (const threshold of [0, 0.3, 0.5, 0.9, 0.99]) {
      for (const digits of [[7, 8], [1], [0, 2, 4, 6, 8]]) {
        const r = rejectedSamples(p, digits, threshold);
        expect(r.indices.length).toBe(Math.round((1 - purity(p, digits, threshold)) * p.n));
        const counted = [...Object.values(r.otherDigit), ...Object.values(r.belowThreshold)].reduce((a, b) => a + b, 0);
        expect(counted).toBe(r.indices.length);
      }
    }
    // The table is varied enough that the checks above saw both kinds and both outcomes.
    const r = rejectedSamples(p, [7, 8], 0.5);
    expect(r.indices.length).toBeGreaterThan(0);
    expect(r.indices.length).toBeLessThan(p.n);
    expect(Object.keys(r.belowThreshold).length).toBeGreaterThan(0);
  });

  it("handles no samples and refuses a table of the wrong size", () => {
    expect(rejectedSamples({ data: new Float32Array(0), n: 0, classes: 10 }, [7, 8]).indices).toEqual([]);
    expect(() => rejectedSamples({ data: new Float32Array(15), n: 2, classes: 10 }, [7, 8])).toThrow(
      /rejectedSamples: 15 probabilities are not 2 samples × 10 classes/,
    );
  });
});

describe("formatRejected", () => {
  it("names the other digits by count, then the digits below the threshold", () => {
    const rows = [
      ...Array(3).fill(onehot(9, 0.99)),
      onehot(2, 0.8),
      ...Array(2).fill(onehot(3, 0.7)),
      onehot(8, 0.5),
      onehot(7, 0.95),
      ...Array(2).fill(onehot(7, 0.6)),
    ];
    const r = rejectedSamples(probs(rows), [7, 8]);
    expect(formatRejected(r)).toBe("rejected 9 of 10: called 9: 3, 3: 2, 2: 1; 7 below p 0.9: 2, 8 below p 0.9: 1");
    expect(formatRejected(rejectedSamples(probs([onehot(8, 0.5)]), [7, 8]))).toBe("rejected 1 of 1: 8 below p 0.9: 1");
    expect(formatRejected(rejectedSamples(probs([onehot(1, 0.99)]), [7, 8]))).toBe("rejected 1 of 1: called 1: 1");
    expect(formatRejected(rejectedSamples(probs([onehot(7, 0.99)]), [7, 8]))).toBe("rejected 0 of 1");
  });
});
