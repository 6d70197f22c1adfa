import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { arrayDataSource } from "../data-source";
import { GanTrainer } from "../gan-trainer";
import { TinyDiscriminator, TinyGenerator, simpleBce, tinyImages } from "../test-support";
import { progressLog } from "./progress-log";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function trainWith(everySeconds: number, timeLimitSeconds?: number, stopAtStep?: number): Promise<string[]> {
  const lines: string[] = [];
  const images = tinyImages(8);
  const g = new TinyGenerator();
  const d = new TinyDiscriminator();
  const trainer = new GanTrainer({
    generator: g,
    discriminator: d,
    loss: simpleBce,
    data: arrayDataSource(images, { batchSize: 4 }),
    epochs: 3,
    callbacks: [
      progressLog({ everySeconds, log: (l) => lines.push(l), ...(timeLimitSeconds === undefined ? {} : { timeLimitSeconds }) }),
      { onBatchEnd: (ctx) => void (ctx.step === stopAtStep && ctx.stop()) },
    ],
  });
  await trainer.fit();
  trainer.dispose();
  g.dispose();
  d.dispose();
  images.dispose();
  return lines;
}

describe("progressLog", () => {
  it("prints the start, the first step, a line per interval and the end, with rate, ETA and losses", async () => {
    const every = await trainWith(0);
    expect(every[0]).toBe("training from step 0 of 6 (3 epochs)");
    expect(every).toHaveLength(1 + 6 + 1);
    expect(every[1]).toMatch(/^step 1\/6 · epoch 1\/3 · [\d.]+ steps\/s · ETA \d+s · D \d+\.\d{3} G \d+\.\d{3}$/);
    expect(every[6]).toMatch(/^step 6\/6 · epoch 3\/3 · [\d.]+ steps\/s · D /);
    expect(every[7]).toMatch(/^completed: step 6\/6 · epoch 3\/3 · [\d.]+ steps\/s, \d+s in all$/);

    // A long interval: only the first step between the start and the end.
    const sparse = await trainWith(3600);
    expect(sparse).toHaveLength(3);
    expect(sparse[1]).toMatch(/^step 1\/6 /);
  });

  it("with a time limit, names it and counts the ETA to it when it comes before the last epoch", async () => {
    // A limit already reached: the ETA is the limit's (0s), not the epochs'.
    const reached = await trainWith(0, 0);
    expect(reached[0]).toBe("training from step 0 of 6 (3 epochs, at most 0s)");
    expect(reached[1]).toMatch(/^step 1\/6 · epoch 1\/3 · [\d.]+ steps\/s · ETA 0s \(time limit\) · D /);
    // An hour's limit: the epochs end first, so their ETA stands.
    const far = await trainWith(0, 3600);
    expect(far[0]).toBe("training from step 0 of 6 (3 epochs, at most 1h00m)");
    expect(far[1]).toMatch(/^step 1\/6 · epoch 1\/3 · [\d.]+ steps\/s · ETA \d+s · D /);
    expect(far.at(-1)).toMatch(/^completed: step 6\/6 /);
    // Stopped once the limit is reached: the planned end, not an abort; stopped before it (or without one): aborted.
    expect((await trainWith(3600, 0, 2)).at(-1)).toMatch(/^stopped at the time limit: step 2\/6 · epoch 1\/3 · [\d.]+ steps\/s, \d+s in all$/);
    expect((await trainWith(3600, 3600, 2)).at(-1)).toMatch(/^aborted: step 2\/6 /);
    expect((await trainWith(3600, undefined, 2)).at(-1)).toMatch(/^aborted: step 2\/6 /);
  });

  it("refuses a bad interval or time limit, naming it", () => {
    expect(() => progressLog({ everySeconds: Number.NaN })).toThrow(/progressLog: everySeconds must be a number >= 0/);
    expect(() => progressLog({ timeLimitSeconds: -1 })).toThrow(/progressLog: timeLimitSeconds must be a number >= 0, got -1/);
  });
});
