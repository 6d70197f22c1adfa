import * as tf from "@tensorflow/tfjs-core";
import { ImageCache } from "./cache";
import type { ImageDataset } from "./dataset";
import { DataError } from "./errors";
import { epochPermutation } from "./random";

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Images per batch. Default 64 (the reference's). */
  batchSize?: number;
  /** Shuffle every epoch (default true, as the reference); false: dataset order. */
  shuffle?: boolean;
  /** Seed of the shuffle (32-bit; default 0). The order of epoch k is a pure function of (seed, k). */
  seed?: number;
  /** Drop the last, smaller batch of an epoch (default false, as PyTorch: 400 images at 64 → last batch of 16). */
  dropLast?: boolean;
  /**
   * Keep decoded 8-bit images in memory up to this many bytes (default 512 MiB; 0 disables). When the whole
   * dataset fits, each image is decoded once; otherwise the first images decoded stay cached.
   */
  cacheBytes?: number;
  /** Decode the next batch while the caller works on the current one (default true). */
  prefetch?: boolean;
}

/** A batch handed out by a {@link DataLoader}. */
export interface Batch {
  /** `[n, height, width, channels]` float32, normalised. Owned by the caller: dispose it. */
  images: tf.Tensor4D;
  /** Dataset indices of the images, in batch order. */
  indices: Int32Array;
  /** Class labels of the images (when the dataset has labels). */
  labels?: Int32Array;
  /** The epoch this batch belongs to. */
  epoch: number;
  /** Position of this batch in its epoch (0-based). */
  index: number;
}

/**
 * Where a {@link DataLoader} stands: the next batch it hands out is batch `batch` of epoch `epoch`. Save it
 * in a checkpoint; {@link DataLoader.setState} on a new loader resumes with the identical order.
 */
export interface DataLoaderState {
  seed: number;
  epoch: number;
  batch: number;
}

interface LoadedBatch {
  pixels: Float32Array;
  indices: Int32Array;
}

/**
 * Batches from an {@link ImageDataset} (the reference's `torch.utils.data.DataLoader(dataset, batch_size=64,
 * shuffle=True)`), shuffled by a seeded, resumable order, decoded images cached in memory, the next batch
 * decoded while the current one trains.
 *
 * ```ts
 * const loader = new DataLoader(images, { batchSize: 64, seed: 1 });
 * for await (const { images: x } of loader.epochs(200)) { trainStep(x); x.dispose(); }
 * ```
 *
 * One iteration at a time: the loader's position advances as batches are handed out.
 */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: boolean;
  private readonly cache: ImageCache;
  private seed: number;
  private position = { epoch: 0, batch: 0 };

  constructor(
    readonly dataset: ImageDataset,
    options: DataLoaderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new DataError("BAD_OPTION", `batchSize must be a positive integer, got ${options.batchSize}`);
    }
    if (dataset.length === 0) throw new DataError("BAD_OPTION", "DataLoader: the dataset is empty");
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch ?? true;
    this.seed = (options.seed ?? 0) >>> 0;
    const cacheBytes = options.cacheBytes ?? 512 * 2 ** 20;
    if (!(cacheBytes >= 0)) throw new DataError("BAD_OPTION", `cacheBytes must be >= 0, got ${cacheBytes}`);
    this.cache = new ImageCache(cacheBytes);
    if (this.length === 0) {
      throw new DataError("BAD_OPTION", `dropLast with batchSize ${this.batchSize} leaves no batch of a ${dataset.length}-image dataset`);
    }
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order in which epoch `epoch` visits the dataset: a pure function of (seed, epoch). */
  order(epoch: number): Int32Array {
    if (this.shuffle) return epochPermutation(this.dataset.length, this.seed, epoch);
    return Int32Array.from({ length: this.dataset.length }, (_, i) => i);
  }

  /** The current position (a copy): the next batch to be handed out. */
  getState(): DataLoaderState {
    return { seed: this.seed, ...this.position };
  }

  /** Moves to a position saved by {@link getState} (the seed included). */
  setState(state: DataLoaderState): void {
    const { seed, epoch, batch } = state;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(batch) || batch < 0 || batch > this.length) {
      throw new DataError("BAD_OPTION", `invalid DataLoader state ${JSON.stringify(state)} (${this.length} batches per epoch)`);
    }
    this.seed = seed >>> 0;
    this.position = batch === this.length ? { epoch: epoch + 1, batch: 0 } : { epoch, batch };
  }

  /** How much the decoded-image cache holds. */
  get cacheStats(): { images: number; bytes: number; budgetBytes: number } {
    return { images: this.cache.size, bytes: this.cache.bytes, budgetBytes: this.cache.budgetBytes };
  }

  /**
   * The batches of one epoch. Without an argument: the rest of the current epoch, from the current
   * position (what a resumed run wants); with `epoch`: all of that epoch, from its first batch. Either way
   * the position advances as batches are handed out.
   */
  epoch(epoch?: number): AsyncGenerator<Batch, void, undefined> {
    if (epoch === undefined) return this.run(this.position.epoch, this.position.batch);
    if (!Number.isInteger(epoch) || epoch < 0) throw new DataError("BAD_OPTION", `epoch must be a non-negative integer, got ${epoch}`);
    return this.run(epoch, 0);
  }

  /**
   * Every batch from the current position to the end of epoch `end - 1`: a run of `end` epochs in all,
   * resumed where it stands (`for await (const b of loader.epochs(numEpochs))`).
   */
  async *epochs(end: number): AsyncGenerator<Batch, void, undefined> {
    while (this.position.epoch < end) yield* this.run(this.position.epoch, this.position.batch);
  }

  /** The rest of the current epoch (`for await (const batch of loader)`, like iterating a PyTorch DataLoader). */
  [Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    return this.epoch();
  }

  private async *run(epoch: number, start: number): AsyncGenerator<Batch, void, undefined> {
    const order = this.order(epoch);
    const count = this.length;
    const load = (b: number): Promise<LoadedBatch> => {
      const p = this.load(order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length)));
      p.catch(() => {}); // awaited later; never an unhandled rejection if the caller stops early
      return p;
    };
    let next = start < count ? load(start) : undefined;
    for (let b = start; b < count; b++) {
      const loaded = await next!;
      next = b + 1 < count && this.prefetch ? load(b + 1) : undefined;
      const { height, width, channels, labels } = this.dataset;
      const images = tf.tensor4d(loaded.pixels, [loaded.indices.length, height, width, channels], "float32");
      this.position = b + 1 === count ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: b + 1 };
      yield {
        images,
        indices: loaded.indices,
        labels: labels ? Int32Array.from(loaded.indices, (i) => labels[i]) : undefined,
        epoch,
        index: b,
      };
      next ??= b + 1 < count ? load(b + 1) : undefined;
    }
  }

  private async load(indices: Int32Array): Promise<LoadedBatch> {
    const { dataset, cache } = this;
    const per = dataset.height * dataset.width * dataset.channels;
    const pixels = new Float32Array(indices.length * per);
    const copy = Int32Array.from(indices);
    await Promise.all(
      Array.from(copy, async (index, k) => {
        let bytes = cache.get(index);
        if (!bytes) {
          bytes = await dataset.readBytes(index);
          cache.offer(index, bytes);
        }
        dataset.normalizer.into(bytes, pixels, k * per);
      }),
    );
    return { pixels, indices: copy };
  }
}
