import { describe, expect, it } from "vitest";
import { epochPermutation } from "./random";

const isPermutation = (p: Int32Array, n: number) => p.length === n && new Set(p).size === n && p.every((v) => v >= 0 && v < n);

describe("epochPermutation", () => {
  it("visits every index exactly once", () => {
    for (const n of [0, 1, 2, 7, 400, 1001]) expect(isPermutation(epochPermutation(n, 3, 5), n)).toBe(true);
  });

  it("is a pure function of (seed, epoch): same inputs, same order", () => {
    const a = epochPermutation(400, 42, 3);
    epochPermutation(400, 42, 9); // other calls in between change nothing
    expect([...epochPermutation(400, 42, 3)]).toEqual([...a]);
  });

  it("differs between seeds and between epochs", () => {
    const base = [...epochPermutation(400, 1, 0)];
    expect([...epochPermutation(400, 2, 0)]).not.toEqual(base);
    expect([...epochPermutation(400, 1, 1)]).not.toEqual(base);
    // all of the first 50 epochs distinct
    const seen = new Set(Array.from({ length: 50 }, (_, e) => epochPermutation(400, 1, e).join(",")));
    expect(seen.size).toBe(50);
  });

  it("puts each item at each position about equally often", () => {
    const n = 5;
    const trials = 5000;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let e = 0; e < trials; e++) {
      for (const [pos, item] of epochPermutation(n, 7, e).entries()) counts[item][pos]++;
    }
    // expected 1000 each; 5 standard deviations ≈ 5 * sqrt(1000 * 0.8) ≈ 141
    for (const row of counts) for (const c of row) expect(Math.abs(c - trials / n)).toBeLessThan(141);
  });

  it("rejects a negative or fractional epoch", () => {
    expect(() => epochPermutation(4, 0, -1)).toThrow(RangeError);
    expect(() => epochPermutation(4, 0, 1.5)).toThrow(RangeError);
  });
});
