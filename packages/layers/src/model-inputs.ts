import * as tf from "@tensorflow/tfjs-core";

/**
 * The latent codes `z` as the generator's `[B, 1, 1, zDim]` input (NHWC of PyTorch's `[B, zDim, 1, 1]`).
 * Accepts `[B, zDim]` or `[B, 1, 1, zDim]`; anything else is an error naming `where`.
 */
export function latentGrid(z: tf.Tensor, zDim: number, where: string): tf.Tensor4D {
  const ok2 = z.rank === 2 && z.shape[1] === zDim;
  const ok4 = z.rank === 4 && z.shape[1] === 1 && z.shape[2] === 1 && z.shape[3] === zDim;
  if (!(ok2 || ok4) || z.shape[0] < 1) {
    throw new Error(`${where}: z must be [B, ${zDim}] or [B, 1, 1, ${zDim}] with B ≥ 1, got [${z.shape}]`);
  }
  if (z.dtype !== "float32") throw new Error(`${where}: z must be float32, got ${z.dtype}`);
  return ok4 ? (z as tf.Tensor4D) : tf.reshape(z, [z.shape[0], 1, 1, zDim]);
}

/** Throws, naming `where`, unless `images` is float32 `[B, size, size, channels]` with B ≥ 1. */
export function checkImages(images: tf.Tensor, size: number, channels: number, where: string): void {
  const [b, h, w, c] = images.shape;
  if (images.rank !== 4 || b < 1 || h !== size || w !== size || c !== channels) {
    throw new Error(`${where}: images must be [B, ${size}, ${size}, ${channels}] (NHWC), got [${images.shape}]`);
  }
  if (images.dtype !== "float32") throw new Error(`${where}: images must be float32, got ${images.dtype}`);
}

// The smallest and largest value of each label tensor checked so far, by its data (a variable's data changes
// when it is assigned, so the key follows the values). A model checks its labels once, then each conditional
// layer checks them again: reading the values back once, before any op has uploaded them to a GPU, keeps the later
// checks free of a GPU round trip.
const labelRanges = new WeakMap<object, { min: number; max: number }>();

/**
 * Checks the class labels a conditional model or layer was given and returns them: int32 `[batch]` with every
 * value in [0, numClasses). A missing, mis-shaped, mis-typed or out-of-range label is an error naming `where`.
 * The values are read back once per tensor (a few integers) to check the range.
 */
export function checkLabels(labels: tf.Tensor | undefined, batch: number, numClasses: number, where: string): tf.Tensor1D {
  if (labels === undefined || labels === null) {
    throw new Error(
      `${where}: labels are required: the model is conditional on ${numClasses} classes; pass forward(x, { labels }) with int32 labels [${batch}] in [0, ${numClasses})`,
    );
  }
  if (!(labels instanceof tf.Tensor)) throw new Error(`${where}: labels must be an int32 tensor [${batch}], got ${typeof labels}`);
  if (labels.rank !== 1 || labels.shape[0] !== batch) {
    throw new Error(`${where}: labels must be [${batch}] (one per sample), got [${labels.shape}]`);
  }
  if (labels.dtype !== "int32") throw new Error(`${where}: labels must be int32, got ${labels.dtype}`);
  let range = labelRanges.get(labels.dataId);
  if (!range) {
    range = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
    for (const v of labels.dataSync()) {
      range.min = Math.min(range.min, v);
      range.max = Math.max(range.max, v);
    }
    labelRanges.set(labels.dataId, range);
  }
  if (range.min < 0 || range.max >= numClasses) {
    const values = labels.dataSync();
    const i = values.findIndex((v) => v < 0 || v >= numClasses);
    throw new Error(`${where}: label ${values[i]} at index ${i} is out of range [0, ${numClasses})`);
  }
  return labels as tf.Tensor1D;
}
