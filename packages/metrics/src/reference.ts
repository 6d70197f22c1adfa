import { resizeBicubicPil } from "@gan/data";
import { type FashionMnist, loadFashionMnist, openMnistPackage } from "@gan/data/node";
import * as tf from "@tensorflow/tfjs-core";
import { type MetricDatasetName, metricDataset, resolveClasses } from "./datasets";

/** Which real images form the reference set. */
export interface ReferenceOptions {
  /** The data set (default `"mnist"`), see `METRIC_DATASETS`. */
  dataset?: MetricDatasetName;
  /** Classes, as in training (default: the data set's, `[7, 8]` for MNIST, all ten for Fashion-MNIST). */
  classes?: readonly number[];
  /** The former name of `classes` (used when `classes` is not given). */
  digits?: readonly number[];
  /** Images in all (default 400), split evenly between the classes (the first classes get the remainder). */
  n?: number;
  /**
   * Images of each class skipped, in the source's order (default: the data set's `reference.skipPerClass`; MNIST:
   * 200, because `img_78` is the first 200 of each digit of the `mnist` package, so the reference holds digits
   * of the same classes not used for training; Fashion-MNIST: 0, its test split is not trained on). Skipping more
   * gives real sets disjoint from the reference, to score real images against it.
   */
  skipPerClass?: number;
  /** The former name of `skipPerClass` (used when `skipPerClass` is not given). */
  skipPerDigit?: number;
  /** Fashion-MNIST: the folder of its `*-ubyte.gz` files (default where Debian's package installs them). */
  fashionMnistDir?: string;
}

/** Images of each class of a reference source: `count(c)` of them, `image(c, i)` 28 × 28 bytes. */
interface ReferenceSource {
  count(label: number): number;
  image(label: number, index: number): Uint8Array;
}

const fashionTestSplits = new Map<string, Promise<FashionMnist>>();

/** Fashion-MNIST's test split, read once per folder, wrapped with an error naming the package to install. */
async function fashionTestSource(dir: string | undefined): Promise<ReferenceSource> {
  const key = dir ?? "";
  let loading = fashionTestSplits.get(key);
  if (!loading) {
    loading = loadFashionMnist({ dir, split: "test" });
    fashionTestSplits.set(key, loading);
    loading.catch(() => fashionTestSplits.delete(key));
  }
  let fashion: FashionMnist;
  try {
    fashion = await loading;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(
      `referenceImages: the Fashion-MNIST reference is its test split, which is missing (install it with ` +
        `\`sudo apt-get install dataset-fashion-mnist\`): ${message}`,
      { cause: e },
    );
  }
  const byLabel: number[][] = Array.from({ length: 10 }, () => []);
  fashion.labels.forEach((label, i) => {
    byLabel[label]?.push(i);
  });
  const pixels = fashion.height * fashion.width;
  return {
    count: (label) => byLabel[label]?.length ?? 0,
    image: (label, index) => fashion.images.subarray(byLabel[label][index] * pixels, (byLabel[label][index] + 1) * pixels),
  };
}

/**
 * Real images `[n, 64, 64, 1]` in [-1, 1] of a data set's `classes`, enlarged 28 → 64 with Pillow's bicubic
 * exactly as the GAN's training images (`prepareMnist` / `loadMnist`), so they pass through the same resampling
 * as what the generator learned. In the interleaved order `c₀, c₁, …, c₀, c₁, …` (any prefix is balanced).
 *
 * - `mnist` (default): of each digit (default 7 and 8), the images after the first `skipPerClass` (default 200)
 *   in the `mnist` package — not the GAN's training digits.
 * - `fashion-mnist`: of each class (default all ten), Fashion-MNIST's test split in file order after the first
 *   `skipPerClass` (default 0); 1,000 per class.
 *
 * @throws Error when a class has too few images, or (Fashion-MNIST) when the data set is not installed, naming
 *   `apt-get install dataset-fashion-mnist`.
 */
export async function referenceImages(options: ReferenceOptions = {}): Promise<tf.Tensor4D> {
  const dataset = metricDataset(options.dataset ?? "mnist");
  if (options.classes?.length === 0 || (options.classes === undefined && options.digits?.length === 0)) {
    throw new Error(dataset.name === "mnist" ? "referenceImages: no digits" : "referenceImages: no classes");
  }
  const classes = resolveClasses(dataset, options.classes, options.digits);
  const n = options.n ?? 400;
  const skip = options.skipPerClass ?? options.skipPerDigit ?? dataset.reference.skipPerClass;
  if (!Number.isInteger(n) || n < 2) throw new Error(`referenceImages: n must be an integer ≥ 2, got ${n}`);
  if (!Number.isInteger(skip) || skip < 0) throw new Error(`referenceImages: skipPerClass must be an integer ≥ 0, got ${skip}`);
  const source: ReferenceSource = dataset.reference.source === "mnist-package" ? await openMnistPackage() : await fashionTestSource(options.fashionMnistDir);
  const kind = dataset.name === "mnist" ? "digit" : "class";
  const size = 64;
  const out = new Float32Array(n * size * size);
  let k = 0;
  const per = classes.map((_, i) => Math.floor(n / classes.length) + (i < n % classes.length ? 1 : 0));
  for (let j = 0; j < classes.length; j++) {
    const available = source.count(classes[j]);
    if (skip + per[j] > available) {
      throw new Error(
        `referenceImages: ${kind} ${classes[j]} has ${available} images in ${dataset.reference.description}; ` +
          `${per[j]} held-out ones after the first ${skip} are too many`,
      );
    }
  }
  // Interleaved (7, 8, 7, 8, …) so any prefix is balanced.
  for (let i = 0; k < n; i++) {
    for (let j = 0; j < classes.length && k < n; j++) {
      if (i >= per[j]) continue;
      const img = resizeBicubicPil(source.image(classes[j], skip + i), 28, 28, 1, size, size);
      for (let p = 0; p < size * size; p++) out[k * size * size + p] = img[p] / 127.5 - 1;
      k++;
    }
  }
  return tf.tensor4d(out, [n, size, size, 1]);
}
