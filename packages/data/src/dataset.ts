import * as tf from "@tensorflow/tfjs-core";
import { DataError } from "./errors";
import { Normalizer } from "./normalize";

/**
 * What a {@link DataLoader} reads from: a fixed-length list of same-sized 8-bit images (HWC), the
 * normalisation that turns them into network inputs, and optional integer class labels.
 */
export interface ImageDataset {
  /** Number of images. */
  readonly length: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Channels per pixel: 1 (gray) or 3 (RGB). */
  readonly channels: 1 | 3;
  /** Maps the 8-bit pixels to floats (mean/std). */
  readonly normalizer: Normalizer;
  /** Class index of each image, when the dataset has labels. */
  readonly labels?: Int32Array;
  /** Class names, indexed by label (empty when unlabelled). */
  readonly classes: readonly string[];
  /** The 8-bit pixels of image `index`, `height * width * channels` bytes, HWC. */
  readBytes(index: number): Promise<Uint8Array>;
}

/** Options of {@link ArrayImageDataset}. */
export interface ArrayImageDatasetOptions {
  height: number;
  width: number;
  /** Default 1. */
  channels?: 1 | 3;
  /** Default 0.5 (as the reference). */
  mean?: number | readonly number[];
  /** Default 0.5 (as the reference). */
  std?: number | readonly number[];
  /** One class index per image. */
  labels?: ArrayLike<number>;
  /** Class names, indexed by label. */
  classes?: readonly string[];
}

/** An {@link ImageDataset} over 8-bit images already in memory (e.g. MNIST digits from {@link loadMnist}). */
export class ArrayImageDataset implements ImageDataset {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly normalizer: Normalizer;
  readonly labels?: Int32Array;
  readonly classes: readonly string[];

  /** @param images - one `height * width * channels` byte array per image (HWC). */
  constructor(
    private readonly images: readonly Uint8Array[],
    options: ArrayImageDatasetOptions,
  ) {
    this.height = options.height;
    this.width = options.width;
    this.channels = options.channels ?? 1;
    const expected = this.height * this.width * this.channels;
    images.forEach((image, i) => {
      if (image.length !== expected) {
        throw new DataError("BAD_OPTION", `image ${i} has ${image.length} bytes, expected ${expected} (${this.height}×${this.width}×${this.channels})`);
      }
    });
    if (options.labels && options.labels.length !== images.length) {
      throw new DataError("BAD_OPTION", `${options.labels.length} labels for ${images.length} images`);
    }
    this.labels = options.labels ? Int32Array.from(options.labels) : undefined;
    this.classes = options.classes ?? [];
    this.normalizer = new Normalizer(this.channels, options.mean ?? 0.5, options.std ?? 0.5);
  }

  get length(): number {
    return this.images.length;
  }

  async readBytes(index: number): Promise<Uint8Array> {
    checkIndex(index, this.length);
    return this.images[index];
  }
}

/** Throws a RangeError unless `index` is an integer in `[0, length)`. */
export function checkIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`index ${index} out of range for a dataset of ${length} images`);
  }
}

/**
 * The normalised images at `indices` stacked into one NHWC float32 tensor (owned by the caller: dispose it).
 * Decodes them concurrently.
 */
export async function readBatch(dataset: ImageDataset, indices: ArrayLike<number>): Promise<tf.Tensor4D> {
  const list = Array.from(indices);
  const bytes = await Promise.all(list.map((i) => dataset.readBytes(i)));
  return toBatchTensor(dataset, bytes);
}

/** Normalises and stacks same-sized 8-bit images into one NHWC float32 tensor. */
export function toBatchTensor(dataset: ImageDataset, images: readonly Uint8Array[]): tf.Tensor4D {
  const { height, width, channels, normalizer } = dataset;
  const per = height * width * channels;
  const values = new Float32Array(images.length * per);
  images.forEach((bytes, i) => {
    normalizer.into(bytes, values, i * per);
  });
  return tf.tensor4d(values, [images.length, height, width, channels], "float32");
}
