import { describe, expect, it } from "vitest";
import { stepsPerEpoch } from "./data-source";

describe("stepsPerEpoch", () => {
  it("counts the steps an epoch's batches make, a last partial step included; undefined when the length is unknown", () => {
    expect(stepsPerEpoch(63, 2)).toBe(32);
    expect(stepsPerEpoch(7, 1)).toBe(7);
    expect(stepsPerEpoch(1, 2)).toBe(1);
    expect(stepsPerEpoch(undefined, 1)).toBeUndefined();
  });
});
