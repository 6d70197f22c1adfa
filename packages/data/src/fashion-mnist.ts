import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "./errors";
import { parseIdx } from "./idx";

/** Where Debian's `dataset-fashion-mnist` package installs the four `*-ubyte.gz` files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

import { FASHION_MNIST_CLASSES } from "./fashion-mnist-classes";

export { FASHION_MNIST_CLASSES };

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Folder holding `train-images-idx3-ubyte(.gz)` etc. Default {@link FASHION_MNIST_DIR}. */
  dir?: string;
  /** `"train"` (60,000 images, default) or `"test"` (10,000). */
  split?: "train" | "test";
}

/** Fashion-MNIST images and labels, in file order. */
export interface FashionMnist {
  /** `count * 28 * 28` bytes, 0 = background. */
  images: Uint8Array;
  /** `count` labels, 0…9 (see {@link FASHION_MNIST_CLASSES}). */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/**
 * Reads Fashion-MNIST (Zalando's 28×28 grayscale clothing images) from Debian's `dataset-fashion-mnist`
 * package, or from `dir` holding the same files.
 *
 * @throws DataError `MISSING_DATASET` naming the missing file and the package to install.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<FashionMnist> {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  const prefix = (options.split ?? "train") === "train" ? "train" : "t10k";
  const images = parseIdx(await readEither(dir, `${prefix}-images-idx3-ubyte`), `${prefix}-images-idx3-ubyte`);
  const labels = parseIdx(await readEither(dir, `${prefix}-labels-idx1-ubyte`), `${prefix}-labels-idx1-ubyte`);
  const [count, height, width] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new DataError("INVALID_IMAGE", `Fashion-MNIST in "${dir}": images ${images.dims.join("×")} do not match labels ${labels.dims.join("×")}`, {
      file: dir,
    });
  }
  return { images: images.data, labels: labels.data, count, height, width };
}

async function readEither(dir: string, base: string): Promise<Uint8Array> {
  for (const name of [`${base}.gz`, base]) {
    const path = join(dir, name);
    if (await access(path).then(
      () => true,
      () => false,
    )) {
      return new Uint8Array(await readFile(path));
    }
  }
  throw new DataError(
    "MISSING_DATASET",
    `Fashion-MNIST not found: "${join(dir, `${base}.gz`)}" does not exist. Install Debian's package ` +
      `(sudo apt-get install dataset-fashion-mnist, which puts the files in ${FASHION_MNIST_DIR}), or pass the ` +
      `folder holding the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist`,
    { file: join(dir, `${base}.gz`) },
  );
}
