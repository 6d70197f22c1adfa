import * as tf from "@tensorflow/tfjs-core";

/**
 * A batch of real images with their class labels, for class-conditional models: `labels[i]` is the class of
 * `images[i]`, an integer in [0, numClasses).
 */
export interface LabelledBatch {
  /** `[B, H, W, C]` in [-1, 1]. */
  images: tf.Tensor4D;
  /** One class index per image (`@gan/data`'s `Batch.labels`). */
  labels: Int32Array | readonly number[];
}

/** What a {@link DataSource} yields: images alone, or images with their class labels. */
export type DataBatch = tf.Tensor4D | LabelledBatch;

/** The images of a {@link DataBatch}. */
export function batchImages(batch: DataBatch): tf.Tensor4D {
  return isLabelled(batch) ? batch.images : batch;
}

/** The labels of a {@link DataBatch}, or undefined for images alone. */
export function batchLabels(batch: DataBatch): Int32Array | readonly number[] | undefined {
  return isLabelled(batch) ? batch.labels : undefined;
}

function isLabelled(batch: DataBatch): batch is LabelledBatch {
  return (batch as LabelledBatch).images !== undefined && !(batch instanceof tf.Tensor);
}

/**
 * Where a trainer gets its real images. Anything with an `epoch(index)` that yields batches `[B, H, W, C]` in
 * [-1, 1] works: `@gan/data`'s `DataLoader`, an array wrapped in {@link arrayDataSource}, your own generator.
 * A class-conditional model needs labelled batches ({@link LabelledBatch}: `{ images, labels }`), such as
 * `dataLoaderSource` makes of a labelled `@gan/data` dataset (`ImageFolder.open(dir, { labels: true })`).
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
  epoch(index: number): AsyncIterable<DataBatch>;
  /**
   * Optional: the batches of epoch `index` from batch `startBatch` on, without producing the earlier ones.
   * A resumed run uses it to avoid loading the batches it would skip; without it the trainer skips them itself.
   */
  epochFrom?(index: number, startBatch: number): AsyncIterable<DataBatch>;
  /** Batches per epoch, when known (progress, ETA and `totalSteps`). */
  readonly batchesPerEpoch?: number;
  /** Images per batch (the last batch may hold fewer), when known; recorded in `config.json`. */
  readonly batchSize?: number;
  /**
   * The class names of a labelled source (label `i` is class `classes[i]`), when it has labels: recorded in
   * `config.json` so that `gan sample` can name the rows of a conditional run.
   */
  readonly classes?: readonly string[];
  /**
   * Images per class of a labelled source (`classCounts[i]` of label `i`), when known: recorded in `config.json`
   * (`extra.classCounts`) as the weights of the classes in the data, with which `gan sample --marginal` and
   * `gan eval --marginal` draw a conditional generator's whole distribution.
   */
  readonly classCounts?: readonly number[];
  /** A JSON-serialisable snapshot of the source's state (shuffle RNG and so on), stored in checkpoints. */
  getState?(): unknown;
  /** Restores a state from {@link DataSource.getState}. */
  setState?(state: unknown): void;
}

/** Options of {@link arrayDataSource}. */
export interface ArrayDataSourceOptions {
  /** Images per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Class index of each image (integers ≥ 0), for a class-conditional model: the batches then carry labels. */
  labels?: ArrayLike<number>;
  /** Class names (label `i` is `classes[i]`), with `labels`. */
  classes?: readonly string[];
}

/**
 * A {@link DataSource} over images already in memory `[N, H, W, C]`: epoch `index` yields the images in order,
 * `batchSize` at a time (no shuffling: each epoch is the same sequence, which makes it trivially resumable).
 * With `labels` the batches are {@link LabelledBatch}es. The source does not take ownership of `images`; dispose
 * them when training is done.
 */
export function arrayDataSource(images: tf.Tensor4D, options: ArrayDataSourceOptions): DataSource {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`arrayDataSource: option 'batchSize' must be a positive integer, got ${batchSize}`);
  }
  if (images.rank !== 4) throw new Error(`arrayDataSource: images must be [N, H, W, C], got [${images.shape}]`);
  const n = images.shape[0];
  const labels = options.labels === undefined ? undefined : Int32Array.from(options.labels);
  if (labels && labels.length !== n) throw new Error(`arrayDataSource: option 'labels' has ${labels.length} labels for ${n} images`);
  if (labels?.some((l) => l < 0)) throw new Error("arrayDataSource: option 'labels' must hold class indices >= 0");
  return {
    batchSize,
    batchesPerEpoch: Math.ceil(n / batchSize),
    ...(labels ? { classes: options.classes ?? [], classCounts: countLabels(labels, options.classes?.length ?? 0) } : {}),
    async *epoch(): AsyncGenerator<DataBatch> {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const slice = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
        yield labels ? { images: slice, labels: labels.slice(start, start + size) } : slice;
      }
    },
  };
}

/**
 * Training steps in an epoch of `batchesPerEpoch` batches when each step takes `dSteps` of them for D:
 * `ceil(batchesPerEpoch / dSteps)`; undefined when the data does not tell its epoch's length.
 */
export function stepsPerEpoch(batchesPerEpoch: number | undefined, dSteps: number): number | undefined {
  return batchesPerEpoch === undefined ? undefined : Math.ceil(batchesPerEpoch / dSteps);
}

/** Images per label `0 … max(labels, classes - 1)`: what {@link DataSource.classCounts} holds. */
export function countLabels(labels: ArrayLike<number>, classes = 0): number[] {
  let top = classes - 1;
  for (let i = 0; i < labels.length; i++) top = Math.max(top, labels[i]);
  const counts = new Array<number>(top + 1).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
