import * as tf from "@tensorflow/tfjs-core";

/**
 * Where a trainer gets its real images. Anything with an `epoch(index)` that yields batches `[B, H, W, C]` in
 * [-1, 1] works: `@gan/data`'s `DataLoader`, an array wrapped in {@link arrayDataSource}, your own generator.
 *
 * The trainer owns every batch it receives and disposes it after the step.
 *
 * For a resumed run to see exactly the batches an unbroken run would, `epoch(index)` must yield the same
 * sequence whenever the source is in the same state: either it depends on `index` alone, or the source has
 * `getState()`/`setState()`. The trainer records the state when it starts an epoch and, on resume, restores
 * that state, calls `epoch(index)` again and skips the batches already consumed.
 */
export interface DataSource {
  /** The batches of epoch `index` (0-based), in order. */
  epoch(index: number): AsyncIterable<tf.Tensor4D>;
  /**
   * Optional: the batches of epoch `index` from batch `startBatch` on, without producing the earlier ones.
   * A resumed run uses it to avoid loading the batches it would skip; without it the trainer skips them itself.
   */
  epochFrom?(index: number, startBatch: number): AsyncIterable<tf.Tensor4D>;
  /** Batches per epoch, when known (progress, ETA and `totalSteps`). */
  readonly batchesPerEpoch?: number;
  /** Images per batch (the last batch may hold fewer), when known; recorded in `config.json`. */
  readonly batchSize?: number;
  /** A JSON-serialisable snapshot of the source's state (shuffle RNG and so on), stored in checkpoints. */
  getState?(): unknown;
  /** Restores a state from {@link DataSource.getState}. */
  setState?(state: unknown): void;
}

/** Options of {@link arrayDataSource}. */
export interface ArrayDataSourceOptions {
  /** Images per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
}

/**
 * A {@link DataSource} over images already in memory `[N, H, W, C]`: epoch `index` yields the images in order,
 * `batchSize` at a time (no shuffling: each epoch is the same sequence, which makes it trivially resumable).
 * The source does not take ownership of `images`; dispose them when training is done.
 */
export function arrayDataSource(images: tf.Tensor4D, options: ArrayDataSourceOptions): DataSource {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`arrayDataSource: option 'batchSize' must be a positive integer, got ${batchSize}`);
  }
  if (images.rank !== 4) throw new Error(`arrayDataSource: images must be [N, H, W, C], got [${images.shape}]`);
  const n = images.shape[0];
  return {
    batchSize,
    batchesPerEpoch: Math.ceil(n / batchSize),
    async *epoch(): AsyncGenerator<tf.Tensor4D> {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        yield tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      }
    },
  };
}
