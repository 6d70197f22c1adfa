import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { DIFF_AUGMENT_STATE_FILE, addDiffAugment } from "./diff-augment-state";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A scorer that records how far DiffAugment moved the one bright pixel in the middle of each 64×64 image. */
function shiftRecorder() {
  const shifts: number[] = [];
  const scorer = {
    training: true,
    forward(images: tf.Tensor4D) {
      const pixels = images.dataSync();
      for (let i = 0; i < images.shape[0]; i++) {
        const at = pixels.subarray(i * 64 * 64, (i + 1) * 64 * 64).indexOf(1);
        shifts.push(at < 0 ? Number.POSITIVE_INFINITY : Math.max(Math.abs(Math.floor(at / 64) - 32), Math.abs((at % 64) - 32)));
      }
    },
  };
  const image = tf.buffer([64, 64, 64, 1]);
  for (let i = 0; i < 64; i++) image.set(1, i, 32, 32, 0);
  return { scorer, shifts, score: () => tf.tidy(() => scorer.forward(image.toTensor() as tf.Tensor4D)) };
}

describe("addDiffAugment", () => {
  it("shifts D's images by at most diffAugmentTranslation of the side (default 1/8)", () => {
    const largestShift = (ratio: number | undefined) => {
      const r = shiftRecorder();
      addDiffAugment(r.scorer, { diffAugment: "translation", ...(ratio !== undefined ? { diffAugmentTranslation: ratio } : {}) }, 0);
      r.score();
      return Math.max(...r.shifts);
    };
    expect(largestShift(1 / 32)).toBe(2);
    expect(largestShift(undefined)).toBe(8);
  });

  it("is a no-op without a policy", () => {
    const r = shiftRecorder();
    expect(addDiffAugment(r.scorer, {}, 0)).toBeUndefined();
    r.score();
    expect(new Set(r.shifts)).toEqual(new Set([0]));
  });

  it("saves its random stream and takes it back: the same augmentations after a restore", async () => {
    const first = shiftRecorder();
    const callback = addDiffAugment(first.scorer, { diffAugment: "translation" }, 7)!;
    first.score();
    const saved = await callback.state!({} as never);
    expect(Object.keys(saved)).toEqual([DIFF_AUGMENT_STATE_FILE]);
    first.score();
    const next = first.shifts.slice(64);

    const second = shiftRecorder();
    const restored = addDiffAugment(second.scorer, { diffAugment: "translation" }, 7)!;
    await restored.restore!(saved, {} as never);
    second.score();
    expect(second.shifts).toEqual(next);
    expect(() => restored.restore!({ [DIFF_AUGMENT_STATE_FILE]: new TextEncoder().encode("{") }, {} as never)).toThrow(/diff-augment.json: not valid JSON/);
  });
});
