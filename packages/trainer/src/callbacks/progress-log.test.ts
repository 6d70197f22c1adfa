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

async function trainWith(everySeconds: number): Promise<string[]> {
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
    callbacks: [progressLog({ everySeconds, log: (l) => lines.push(l) })],
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

  it("refuses a bad interval, naming it", () => {
    expect(() => progressLog({ everySeconds: Number.NaN })).toThrow(/progressLog: everySeconds must be a number >= 0/);
  });
});
