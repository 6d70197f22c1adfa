import { resizeBicubicPil } from "@gan/data";
import { openMnistPackage } from "@gan/data/node";
import * as tf from "@tensorflow/tfjs-core";

/** Which real digits form the reference set. */
export interface ReferenceOptions {
  /** Digits, as in training (default `[7, 8]`). */
  digits?: readonly number[];
  /** Images in all (default 400), split evenly between the digits (the first digits get the remainder). */
  n?: number;
  /**
   * Images of each digit the GAN trained on, skipped (default 200: `img_78` is the first 200 of each digit of
   * the `mnist` package), so the reference holds digits of the same classes not used for training.
   */
  skipPerDigit?: number;
}

/**
 * Real held-out digits `[n, 64, 64, 1]` in [-1, 1]: of each of `digits`, the images after the first
 * `skipPerDigit` in the `mnist` package, enlarged 28 → 64 with Pillow's bicubic exactly as the GAN's training
 * images (`prepareMnist` / `loadMnist`), so they pass through the same resampling as what the generator learned.
 */
export async function referenceImages(options: ReferenceOptions = {}): Promise<tf.Tensor4D> {
  const digits = options.digits ?? [7, 8];
  const n = options.n ?? 400;
  const skip = options.skipPerDigit ?? 200;
  if (digits.length === 0) throw new Error("referenceImages: no digits");
  if (!Number.isInteger(n) || n < 2) throw new Error(`referenceImages: n must be an integer ≥ 2, got ${n}`);
  const pkg = await openMnistPackage();
  const size = 64;
  const out = new Float32Array(n * size * size);
  let k = 0;
  const per = digits.map((_, i) => Math.floor(n / digits.length) + (i < n % digits.length ? 1 : 0));
  // Interleaved (7, 8, 7, 8, …) so any prefix is balanced.
  for (let i = 0; k < n; i++) {
    for (let j = 0; j < digits.length && k < n; j++) {
      if (i >= per[j]) continue;
      const d = digits[j];
      if (skip + i >= pkg.count(d)) {
        throw new Error(`referenceImages: digit ${d} has ${pkg.count(d)} images; ${per[j]} held-out ones after the first ${skip} are too many`);
      }
      const img = resizeBicubicPil(pkg.image(d, skip + i), 28, 28, 1, size, size);
      for (let p = 0; p < size * size; p++) out[k * size * size + p] = img[p] / 127.5 - 1;
      k++;
    }
  }
  return tf.tensor4d(out, [n, size, size, 1]);
}
