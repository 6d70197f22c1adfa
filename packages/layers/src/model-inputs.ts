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
