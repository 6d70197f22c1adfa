import { describe, expect, it } from "vitest";
import { DEFAULT_STEPS_BETWEEN_SAMPLES, defaultSampleEvery } from "./sample-cadence";

describe("defaultSampleEvery", () => {
  it("is every epoch when an epoch spans the default steps or more, or its length is unknown", () => {
    expect(DEFAULT_STEPS_BETWEEN_SAMPLES).toBe(50);
    expect(defaultSampleEvery(100, 2)).toBe(1); // 50 steps an epoch
    expect(defaultSampleEvery(157, 1)).toBe(1); // the article's recipe on 10,000 images at batch 64
    expect(defaultSampleEvery(undefined, 1)).toBe(1);
    expect(defaultSampleEvery(0, 1)).toBe(1);
  });

  it("groups short epochs until they span the default steps", () => {
    expect(defaultSampleEvery(6, 2)).toBe(17); // 166 emoji at batch 32: 3 steps an epoch, grids every 51 steps
    expect(defaultSampleEvery(63, 2)).toBe(2); // 2,000 Fashion-MNIST images at batch 32: 32 steps an epoch
    expect(defaultSampleEvery(13, 2)).toBe(8); // 400 digits at batch 32: 7 steps an epoch
    expect(defaultSampleEvery(7, 1)).toBe(8); // 400 digits at the article's batch 64
    expect(defaultSampleEvery(1, 1)).toBe(50);
    expect(defaultSampleEvery(6, 0)).toBe(9); // a dSteps under 1 counts as 1 (6 steps an epoch), never a cadence of 0
  });
});
