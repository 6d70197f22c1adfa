import type * as tf from "@tensorflow/tfjs-core";
import { type DataBatch, type DataSource, countLabels } from "./data-source";

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
  epoch(index?: number): AsyncIterable<{ images: tf.Tensor4D; labels?: Int32Array }>;
  /** The dataset, when the loader exposes it: its class names are the source's `classes` when it has labels. */
  readonly dataset?: { readonly labels?: Int32Array; readonly classes?: readonly string[] };
  getState(): S;
  setState(state: S): void;
}

/**
 * Adapts a {@link BatchLoader} (such as `@gan/data`'s `DataLoader`) to a {@link DataSource}: yields each
 * batch's `images` (the trainer disposes them; with their `labels` when the dataset is labelled, for conditional
 * models), reports the batch count and the dataset's class names and images per class, saves the loader's state in checkpoints, and on
 * resume starts the interrupted epoch at the right batch without loading the ones before.
 */
export function dataLoaderSource<S extends BatchLoaderState>(loader: BatchLoader<S>): DataSource {
  const labels = loader.dataset?.labels;
  const classes = labels ? (loader.dataset?.classes ?? []) : undefined;
  return {
    batchSize: loader.batchSize,
    ...(labels && classes ? { classes, classCounts: countLabels(labels, classes.length) } : {}),
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

async function* imagesOf(batches: AsyncIterable<{ images: tf.Tensor4D; labels?: Int32Array }>): AsyncGenerator<DataBatch> {
  for await (const batch of batches) yield batch.labels ? { images: batch.images, labels: batch.labels } : batch.images;
}

async function* emptyBatches(): AsyncGenerator<{ images: tf.Tensor4D; labels?: Int32Array }> {}
