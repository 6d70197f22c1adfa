import type * as tf from "@tensorflow/tfjs-core";
import type { DataSource } from "./data-source";

/** Where a {@link BatchLoader} stands: the next batch is batch `batch` of epoch `epoch`. */
export interface BatchLoaderState {
  epoch: number;
  batch: number;
}

/**
 * The shape of `@gan/data`'s `DataLoader` that the trainer relies on (structurally, so the trainer does not
 * depend on the data package): batches `{ images }` per epoch, a batch count, and a resumable position.
 */
export interface BatchLoader<S extends BatchLoaderState = BatchLoaderState> {
  readonly batchSize: number;
  /** Batches per epoch. */
  readonly length: number;
  /** With an index: all of that epoch; without: the rest of the current epoch from the current position. */
  epoch(index?: number): AsyncIterable<{ images: tf.Tensor4D }>;
  getState(): S;
  setState(state: S): void;
}

/**
 * Adapts a {@link BatchLoader} (such as `@gan/data`'s `DataLoader`) to a {@link DataSource}: yields each
 * batch's `images` (the trainer disposes them), reports the batch count, saves the loader's state in
 * checkpoints, and on resume starts the interrupted epoch at the right batch without loading the ones before.
 */
export function dataLoaderSource<S extends BatchLoaderState>(loader: BatchLoader<S>): DataSource {
  return {
    batchSize: loader.batchSize,
    get batchesPerEpoch() {
      return loader.length;
    },
    epoch: (index) => imagesOf(loader.epoch(index)),
    epochFrom(index, startBatch) {
      if (startBatch >= loader.length) return imagesOf(emptyBatches());
      loader.setState({ ...loader.getState(), epoch: index, batch: startBatch });
      return imagesOf(loader.epoch());
    },
    getState: () => loader.getState(),
    setState: (state) => loader.setState(state as S),
  };
}

async function* imagesOf(batches: AsyncIterable<{ images: tf.Tensor4D }>): AsyncGenerator<tf.Tensor4D> {
  for await (const batch of batches) yield batch.images;
}

async function* emptyBatches(): AsyncGenerator<{ images: tf.Tensor4D }> {}
