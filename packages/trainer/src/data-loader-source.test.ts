import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ArrayImageDataset, DataLoader } from "@gan/data";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataLoaderSource } from "./data-loader-source";
import { arrayDataSource, batchImages, countLabels } from "./data-source";
import { train } from "./node/run/train";
import { TinyDiscriminator, TinyGenerator, changedKeys, simpleBce, snapshotState } from "./test-support";

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-loader-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** 10 random 8×8 gray images in a shuffling @gan/data DataLoader (batches 4, 4, 2). */
function loader(): DataLoader {
  let s = 12345;
  const bytes = Array.from({ length: 10 }, () =>
    Uint8Array.from({ length: 64 }, () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s >>> 24;
    }),
  );
  return new DataLoader(new ArrayImageDataset(bytes, { height: 8, width: 8 }), { batchSize: 4, seed: 3, prefetch: true });
}

describe("dataLoaderSource", () => {
  it("names a labelled dataset's classes and counts its images per class; an unlabelled one has neither", () => {
    const bytes = Array.from({ length: 5 }, () => new Uint8Array(64));
    const labelled = new ArrayImageDataset(bytes, { height: 8, width: 8, labels: [2, 0, 2, 2, 0], classes: ["a", "b", "c"] });
    const source = dataLoaderSource(new DataLoader(labelled, { batchSize: 2 }));
    expect(source.classes).toEqual(["a", "b", "c"]);
    expect(source.classCounts).toEqual([2, 0, 3]);
    const plain = dataLoaderSource(loader());
    expect([plain.classes, plain.classCounts]).toEqual([undefined, undefined]);
    // arrayDataSource too; a label beyond the names still gets its count.
    const images = tf.zeros([4, 8, 8, 1]) as tf.Tensor4D;
    expect(arrayDataSource(images, { batchSize: 2, labels: [1, 1, 3, 0], classes: ["x", "y"] }).classCounts).toEqual([1, 2, 0, 1]);
    expect(arrayDataSource(images, { batchSize: 2 }).classCounts).toBeUndefined();
    images.dispose();
    expect(countLabels([], 2)).toEqual([0, 0]);
  });

  it("yields the loader's image batches and reports its length", async () => {
    const source = dataLoaderSource(loader());
    expect([source.batchSize, source.batchesPerEpoch]).toEqual([4, 3]);
    const shapes: number[][] = [];
    for await (const batch of source.epoch(0)) {
      shapes.push(batchImages(batch).shape);
      batchImages(batch).dispose();
    }
    expect(shapes).toEqual([
      [4, 8, 8, 1],
      [4, 8, 8, 1],
      [2, 8, 8, 1],
    ]);
  });

  it("starts an epoch at a given batch without loading the earlier ones", async () => {
    const l = loader();
    const source = dataLoaderSource(l);
    const all: number[][] = [];
    for await (const b of source.epoch(1)) {
      all.push(Array.from(batchImages(b).dataSync()));
      batchImages(b).dispose();
    }
    const rest: number[][] = [];
    for await (const b of source.epochFrom!(1, 1)) {
      rest.push(Array.from(batchImages(b).dataSync()));
      batchImages(b).dispose();
    }
    expect(rest).toEqual(all.slice(1));
    let none = 0;
    for await (const b of source.epochFrom!(1, 3)) {
      none++;
      batchImages(b).dispose();
    }
    expect(none).toBe(0);
  });

  it("a run on a DataLoader aborted mid-epoch and resumed ends bit-identical to an unbroken run", async () => {
    const models = (seed: number) => ({ g: new TinyGenerator({ seed }), d: new TinyDiscriminator({ seed: seed + 1 }) });
    const a = models(1);
    await train({ generator: a.g, discriminator: a.d, loss: simpleBce, data: dataLoaderSource(loader()), epochs: 2, runDir: path.join(tmp, "a"), samples: false, attention: false });

    const controller = new AbortController();
    const b = models(1);
    const options = { loss: simpleBce, epochs: 2, runDir: path.join(tmp, "b"), samples: false, attention: false } as const;
    const first = await train({
      ...options,
      generator: b.g,
      discriminator: b.d,
      data: dataLoaderSource(loader()),
      signal: controller.signal,
      callbacks: [{ onBatchEnd: (ctx) => void (ctx.step === 4 && controller.abort()) }],
    });
    expect(first).toMatchObject({ status: "aborted", step: 4 });
    const c = models(40);
    const second = await train({ ...options, generator: c.g, discriminator: c.d, data: dataLoaderSource(loader()), resume: true });
    expect(second).toMatchObject({ status: "completed", step: 6 });
    expect(changedKeys(snapshotState(a.g), snapshotState(c.g))).toEqual([]);
    expect(changedKeys(snapshotState(a.d), snapshotState(c.d))).toEqual([]);
  });
});
