import { join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Batch, DataLoader } from "./data-loader";
import { ArrayImageDataset, type ImageDataset } from "./dataset";
import { DataError } from "./errors";
import { ImageFolder } from "./image-folder";
import { constant, encode, put, tempDir } from "./test-helpers";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  await tf.setBackend("cpu");
  ({ dir: root, cleanup } = await tempDir());
});
afterAll(() => cleanup());

/** n 2×2 gray images, image i filled with the value i % 256, labelled i % 3. */
function numbered(n: number): ArrayImageDataset {
  const images = Array.from({ length: n }, (_, i) => new Uint8Array(4).fill(i % 256));
  return new ArrayImageDataset(images, { height: 2, width: 2, channels: 1, labels: Array.from({ length: n }, (_, i) => i % 3) });
}

/** Wraps a dataset and records every readBytes call. */
function counting(inner: ImageDataset): ImageDataset & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    length: inner.length,
    height: inner.height,
    width: inner.width,
    channels: inner.channels,
    normalizer: inner.normalizer,
    labels: inner.labels,
    classes: inner.classes,
    readBytes: (i) => {
      reads.push(i);
      return inner.readBytes(i);
    },
  };
}

/** Runs `it`, disposing every batch, and returns the index lists, batch sizes and image values. */
async function drain(it: AsyncIterable<Batch>): Promise<{ indices: number[][]; values: number[][] }> {
  const indices: number[][] = [];
  const values: number[][] = [];
  for await (const batch of it) {
    indices.push([...batch.indices]);
    values.push([...batch.images.dataSync()]);
    batch.images.dispose();
  }
  return { indices, values };
}

describe("DataLoader: batches", () => {
  it("400 images at batch 64: six full batches and a last one of 16, or six with dropLast", async () => {
    const ds = numbered(400);
    const loader = new DataLoader(ds, { batchSize: 64, seed: 1 });
    expect(loader.length).toBe(7);
    const { indices } = await drain(loader.epoch(0));
    expect(indices.map((b) => b.length)).toEqual([64, 64, 64, 64, 64, 64, 16]);
    expect(new Set(indices.flat()).size).toBe(400);
    const dropped = new DataLoader(ds, { batchSize: 64, seed: 1, dropLast: true });
    expect(dropped.length).toBe(6);
    const kept = await drain(dropped.epoch(0));
    expect(kept.indices.map((b) => b.length)).toEqual([64, 64, 64, 64, 64, 64]);
    expect(kept.indices.flat()).toEqual(indices.flat().slice(0, 384));
  });

  it("hands out [n, h, w, c] float32 images matching their indices and labels", async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, seed: 3 });
    for await (const batch of loader.epoch(0)) {
      expect(batch.images.shape).toEqual([batch.indices.length, 2, 2, 1]);
      expect(batch.images.dtype).toBe("float32");
      const values = batch.images.dataSync();
      batch.indices.forEach((index, k) => {
        for (let p = 0; p < 4; p++) expect(values[k * 4 + p]).toBeCloseTo((index / 255 - 0.5) / 0.5, 6);
      });
      expect([...batch.labels!]).toEqual([...batch.indices].map((i) => i % 3));
      batch.images.dispose();
    }
  });

  it("shuffles by seed: same seed same order, different seed or epoch different, every index once", async () => {
    const ds = numbered(100);
    const a = await drain(new DataLoader(ds, { batchSize: 16, seed: 5 }).epoch(2));
    const b = await drain(new DataLoader(ds, { batchSize: 16, seed: 5 }).epoch(2));
    const c = await drain(new DataLoader(ds, { batchSize: 16, seed: 6 }).epoch(2));
    const d = await drain(new DataLoader(ds, { batchSize: 16, seed: 5 }).epoch(3));
    expect(a.indices).toEqual(b.indices);
    expect(a.values).toEqual(b.values);
    expect(c.indices.flat()).not.toEqual(a.indices.flat());
    expect(d.indices.flat()).not.toEqual(a.indices.flat());
    for (const run of [a, c, d]) expect([...run.indices.flat()].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.indices.flat()).toEqual([...new DataLoader(ds, { seed: 5 }).order(2)]);
  });

  it("shuffle: false keeps dataset order", async () => {
    const { indices } = await drain(new DataLoader(numbered(10), { batchSize: 4, shuffle: false }).epoch(7));
    expect(indices).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });
});

describe("DataLoader: state and resume", () => {
  it("advances its state as batches are handed out, epoch by epoch", async () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, seed: 9 });
    expect(loader.getState()).toEqual({ seed: 9, epoch: 0, batch: 0 });
    const first = await drain(loader.epochs(2));
    expect(first.indices).toHaveLength(6);
    expect(loader.getState()).toEqual({ seed: 9, epoch: 2, batch: 0 });
    const again = await drain(loader); // `for await (… of loader)`: the next epoch
    expect(again.indices.flat()).toEqual([...loader.order(2)]);
    expect(loader.getState()).toEqual({ seed: 9, epoch: 3, batch: 0 });
  });

  it("a run stopped mid-epoch and resumed from getState() sees exactly the unbroken run's batches", async () => {
    const ds = numbered(50);
    const unbroken = await drain(new DataLoader(ds, { batchSize: 8, seed: 11 }).epochs(3));

    const first = new DataLoader(ds, { batchSize: 8, seed: 11 });
    const seen: number[][] = [];
    for await (const batch of first.epochs(3)) {
      seen.push([...batch.indices]);
      batch.images.dispose();
      if (seen.length === 10) break; // epoch 1, after its third batch
    }
    const saved = JSON.parse(JSON.stringify(first.getState()));
    expect(saved).toEqual({ seed: 11, epoch: 1, batch: 3 });

    const resumed = new DataLoader(ds, { batchSize: 8, seed: 999 });
    resumed.setState(saved);
    const rest = await drain(resumed.epochs(3));
    expect([...seen, ...rest.indices]).toEqual(unbroken.indices);
  });

  it("rejects an impossible state", () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(() => loader.setState({ seed: 0, epoch: 0, batch: 4 })).toThrow(DataError);
    expect(() => loader.setState({ seed: 0, epoch: -1, batch: 0 })).toThrow(DataError);
    loader.setState({ seed: 0, epoch: 0, batch: 3 }); // = the end of epoch 0
    expect(loader.getState()).toEqual({ seed: 0, epoch: 1, batch: 0 });
  });
});

describe("DataLoader: tensors, cache, prefetch", () => {
  it("leaks no tensors: after disposing the batches, numTensors is back where it was (also when stopping early)", async () => {
    const loader = new DataLoader(numbered(30), { batchSize: 7, seed: 2 });
    const before = tf.memory().numTensors;
    await drain(loader.epochs(2));
    expect(tf.memory().numTensors).toBe(before);
    for await (const batch of loader.epoch(5)) {
      batch.images.dispose();
      break; // the prefetched next batch holds no tensor
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  async function pngFolder(n: number): Promise<string> {
    const dir = join(root, `png${n}`);
    for (let i = 0; i < n; i++) {
      const pixels = Uint8Array.from({ length: 3 * 3 * 3 }, (_, k) => (i * 37 + k * 11) % 256);
      await put(join(dir, `${String(i).padStart(2, "0")}.png`), await encode(pixels, 3, 3, 3, "png"));
    }
    return dir;
  }

  it("caches decoded images: cached and uncached batches are identical, and each image is decoded once", async () => {
    const folder = await ImageFolder.open(await pngFolder(12));
    const cachedDs = counting(folder);
    const uncachedDs = counting(folder);
    const cached = await drain(new DataLoader(cachedDs, { batchSize: 5, seed: 4 }).epochs(3));
    const uncached = await drain(new DataLoader(uncachedDs, { batchSize: 5, seed: 4, cacheBytes: 0 }).epochs(3));
    expect(cached.values).toEqual(uncached.values);
    expect(cached.indices).toEqual(uncached.indices);
    expect(cachedDs.reads.length).toBe(12);
    expect(new Set(cachedDs.reads).size).toBe(12);
    expect(uncachedDs.reads.length).toBe(36);
  });

  it("respects the cache budget", async () => {
    const folder = await ImageFolder.open(await pngFolder(10));
    const ds = counting(folder);
    const perImage = 3 * 3 * 3;
    const loader = new DataLoader(ds, { batchSize: 4, seed: 1, cacheBytes: 3.5 * perImage });
    await drain(loader.epochs(3));
    expect(loader.cacheStats).toEqual({ images: 3, bytes: 3 * perImage, budgetBytes: 3.5 * perImage });
    expect(ds.reads.length).toBe(10 + 2 * 7);
  });

  it("decodes the next batch while the caller holds the current one (prefetch), not with prefetch: false", async () => {
    for (const prefetch of [true, false]) {
      const ds = counting(numbered(12));
      const loader = new DataLoader(ds, { batchSize: 4, seed: 8, prefetch });
      const it = loader.epoch(0);
      const first = (await it.next()).value as Batch;
      await new Promise((r) => setTimeout(r, 5)); // the caller "trains"
      const order = [...loader.order(0)];
      expect(ds.reads).toEqual(prefetch ? order.slice(0, 8) : order.slice(0, 4));
      first.images.dispose();
      await it.return(undefined);
    }
  });

  it("a decoding error surfaces from the iteration, naming the file", async () => {
    const dir = join(root, "bad-in-loader");
    await put(join(dir, "a.png"), await encode(constant(2, 2, [1]), 2, 2, 1, "png"));
    await put(join(dir, "b.png"), "not a png at all");
    const ds = await ImageFolder.open(dir, { channels: 1, validate: "none" });
    const before = tf.memory().numTensors;
    const error = await drain(new DataLoader(ds, { batchSize: 1, shuffle: false }).epoch(0)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).file).toBe(join(dir, "b.png"));
    expect(tf.memory().numTensors).toBe(before);
  });

  it("bad options", () => {
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new DataLoader(numbered(3), { batchSize: 4, dropLast: true })).toThrow(/leaves no batch/);
  });
});
