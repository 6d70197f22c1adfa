import { relative } from "node:path";
import type * as tf from "@tensorflow/tfjs-core";
import { checkIndex, type ImageDataset, readBatch } from "./dataset";
import { type DecodeOptions, decodeImage, readImageHeader, sizeOf } from "./decode";
import { DataError, type InvalidFile } from "./errors";
import { extensionOf, UNSUPPORTED_IMAGE_EXTENSIONS } from "./formats";
import { Normalizer } from "./normalize";
import { mapLimit } from "./pool";
import { classFolderOf, type ScanOptions, scanFolder } from "./scan";

/** Options shared by {@link ImageFolder.open} and {@link ImageFolder.fromFiles}. */
export interface ImageOptions extends DecodeOptions {
  /** Per-channel mean subtracted after scaling to [0, 1]. Default 0.5 (the reference's). */
  mean?: number | readonly number[];
  /** Per-channel standard deviation divided by. Default 0.5 (the reference's): pixels land in [-1, 1]. */
  std?: number | readonly number[];
  /**
   * How much to check up front: `"header"` (default) reads every file's header (catches non-images, empty
   * and unsupported files, size mismatches), `"full"` decodes every image (also catches truncated and
   * corrupt data; costs one extra decode per image), `"none"` checks nothing until an image is read.
   */
  validate?: "none" | "header" | "full";
  /**
   * Leave out the files that fail validation instead of throwing, and report them through `onWarning`.
   * Implies `validate: "full"`, so no image can fail later, mid-epoch.
   */
  skipInvalid?: boolean;
  /** Receives the warning about skipped files (default: `console.warn` of the message). */
  onWarning?: (message: string, files: readonly InvalidFile[]) => void;
  /** Files read at once while validating. Default 8. */
  concurrency?: number;
}

/** Options of {@link ImageFolder.open}. */
export interface ImageFolderOptions extends ImageOptions, ScanOptions {
  /**
   * Label every image with its class: the name of the first-level sub-folder it is in, classes numbered in
   * sorted order (as torchvision's `ImageFolder`). Every image must then be inside a sub-folder.
   */
  labels?: boolean;
}

/** Options of {@link ImageFolder.fromFiles}. */
export interface FileListOptions extends ImageOptions {
  /** One class index per file. */
  labels?: ArrayLike<number>;
  /** Class names, indexed by label. */
  classes?: readonly string[];
}

/**
 * A dataset of image files (the reference's `GAN_Img_Dataset` + `ImageTransform`): each image decoded by
 * sharp, converted to gray or RGB, resized, and normalised with mean/std to NHWC float32.
 *
 * ```ts
 * const images = await ImageFolder.open("data/img_78", { channels: 1 });
 * const first = await images.read(0); // Float32Array, 64 * 64 values in [-1, 1]
 * ```
 */
export class ImageFolder implements ImageDataset {
  /** The image files, in dataset order. */
  readonly files: readonly string[];
  /** Class index of each file (when labelled). */
  readonly labels?: Int32Array;
  /** Class names, indexed by label (empty when unlabelled). */
  readonly classes: readonly string[];
  /** Files left out by `skipInvalid`, with the reason. */
  readonly skipped: readonly InvalidFile[];
  /** Files in the folder without an image extension, hence not part of the dataset. */
  readonly ignored: readonly string[];
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly normalizer: Normalizer;
  private readonly decode: DecodeOptions;
  private readonly fixedSize: boolean;

  private constructor(init: {
    files: string[];
    labels?: Int32Array;
    classes: readonly string[];
    skipped: InvalidFile[];
    ignored: string[];
    height: number;
    width: number;
    options: ImageOptions;
  }) {
    this.files = init.files;
    this.labels = init.labels;
    this.classes = init.classes;
    this.skipped = init.skipped;
    this.ignored = init.ignored;
    this.height = init.height;
    this.width = init.width;
    this.channels = init.options.channels ?? 3;
    this.normalizer = new Normalizer(this.channels, init.options.mean ?? 0.5, init.options.std ?? 0.5);
    this.decode = { ...init.options, size: [init.height, init.width] };
    this.fixedSize = init.options.size !== undefined;
    if (!this.fixedSize) delete this.decode.size;
  }

  /**
   * Opens every image under `root` (recursively by default), in sorted path order.
   *
   * @throws DataError naming the folder or file(s): `NOT_FOUND`, `NOT_A_DIRECTORY`, `EMPTY_FOLDER`,
   *   `NO_IMAGES`, `INVALID_IMAGE` (listing every bad file), `SIZE_MISMATCH`, `NO_CLASS_FOLDER`.
   */
  static async open(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const scan = await scanFolder(root, options);
    const candidates = [...scan.images, ...scan.unsupported].sort((a, b) => {
      const x = relative(root, a);
      const y = relative(root, b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    let labelOf: Map<string, number> | undefined;
    let classes: string[] = [];
    if (options.labels) {
      const outside = candidates.filter((f) => classFolderOf(root, f) === undefined);
      if (outside.length > 0) {
        throw new DataError(
          "NO_CLASS_FOLDER",
          `labels: true needs every image inside a class sub-folder of "${root}", but ${outside.length} are not: ${outside
            .slice(0, 5)
            .map((f) => relative(root, f))
            .join(", ")}${outside.length > 5 ? ", …" : ""}`,
          { file: outside[0] },
        );
      }
      classes = [...new Set(candidates.map((f) => classFolderOf(root, f)!))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      labelOf = new Map(candidates.map((f) => [f, classes.indexOf(classFolderOf(root, f)!)]));
    }
    return ImageFolder.build(candidates, labelOf, classes, scan.ignored, options, `"${root}"`);
  }

  /**
   * A dataset over an explicit list of files, kept in the given order (as the reference's
   * `make_datapath_list`).
   */
  static async fromFiles(files: readonly string[], options: FileListOptions = {}): Promise<ImageFolder> {
    if (files.length === 0) throw new DataError("BAD_OPTION", "ImageFolder.fromFiles: the file list is empty");
    let labelOf: Map<string, number> | undefined;
    if (options.labels) {
      if (options.labels.length !== files.length) {
        throw new DataError("BAD_OPTION", `ImageFolder.fromFiles: ${options.labels.length} labels for ${files.length} files`);
      }
      const labels = options.labels;
      labelOf = new Map(files.map((f, i) => [f, labels[i]]));
    }
    const { labels: _labels, classes, ...imageOptions } = options;
    return ImageFolder.build([...files], labelOf, classes ?? [], [], imageOptions, "the file list");
  }

  private static async build(
    candidates: string[],
    labelOf: Map<string, number> | undefined,
    classes: readonly string[],
    ignored: string[],
    options: ImageOptions,
    where: string,
  ): Promise<ImageFolder> {
    const validate = options.skipInvalid ? "full" : (options.validate ?? "header");
    const concurrency = options.concurrency ?? 8;
    const channels = options.channels ?? 3;
    if (channels !== 1 && channels !== 3) throw new DataError("BAD_OPTION", `channels must be 1 or 3, got ${channels}`);
    const fixed = options.size === undefined ? undefined : sizeOf(options.size);
    const invalid: InvalidFile[] = [];
    const sizes = new Map<string, [number, number]>();

    const checkOne = async (file: string): Promise<void> => {
      const ext = extensionOf(file);
      if (ext !== "" && !isReadable(ext, options)) {
        invalid.push({ file, reason: `${ext.slice(1).toUpperCase()} is not supported by sharp's prebuilt libvips; convert it to PNG` });
        return;
      }
      try {
        if (validate === "full") {
          const image = await decodeImage(file, options);
          sizes.set(file, [image.height, image.width]);
        } else if (validate === "header" || (fixed === undefined && sizes.size === 0)) {
          const header = await readImageHeader(file);
          sizes.set(file, [header.height, header.width]);
        }
      } catch (error) {
        if (error instanceof DataError && error.files.length > 0) invalid.push(...error.files);
        else throw error;
      }
    };
    if (validate === "none") {
      // Only what is needed: unsupported extensions, and the first image's size when none is given.
      for (const file of candidates) {
        if (!isReadable(extensionOf(file), options)) await checkOne(file);
      }
      if (fixed === undefined) {
        const first = candidates.find((f) => isReadable(extensionOf(f), options));
        if (first) await checkOne(first);
      }
    } else {
      await mapLimit(candidates, concurrency, checkOne);
    }

    if (invalid.length > 0) {
      const order = new Map(candidates.map((f, i) => [f, i]));
      invalid.sort((a, b) => order.get(a.file)! - order.get(b.file)!);
      const list = invalid
        .slice(0, 20)
        .map((f) => `  ${f.file}: ${f.reason}`)
        .join("\n");
      const more = invalid.length > 20 ? `\n  … and ${invalid.length - 20} more` : "";
      if (!options.skipInvalid) {
        throw new DataError(
          "INVALID_IMAGE",
          `${invalid.length} invalid image file(s) in ${where} (pass skipInvalid: true to leave them out):\n${list}${more}`,
          { file: invalid[0].file, files: invalid },
        );
      }
      const message = `Skipping ${invalid.length} invalid image file(s) in ${where}:\n${list}${more}`;
      (options.onWarning ?? ((m: string) => console.warn(m)))(message, invalid);
    }
    const bad = new Set(invalid.map((f) => f.file));
    const files = candidates.filter((f) => !bad.has(f));
    if (files.length === 0) {
      throw new DataError("NO_IMAGES", `No valid images in ${where}: all ${candidates.length} image file(s) are invalid`, {
        files: invalid,
      });
    }

    let height: number;
    let width: number;
    if (fixed) [height, width] = fixed;
    else {
      [height, width] = sizes.get(files[0])!;
      const mismatched = files.filter((f) => sizes.has(f) && (sizes.get(f)![0] !== height || sizes.get(f)![1] !== width));
      if (mismatched.length > 0) {
        throw new DataError(
          "SIZE_MISMATCH",
          `Images in ${where} differ in size and no size option was given to resize them to: "${files[0]}" is ${width}×${height} but ${mismatched
            .slice(0, 5)
            .map((f) => `"${f}" is ${sizes.get(f)![1]}×${sizes.get(f)![0]}`)
            .join(", ")}${mismatched.length > 5 ? ", …" : ""}`,
          { file: mismatched[0] },
        );
      }
    }
    const labels = labelOf ? Int32Array.from(files, (f) => labelOf.get(f)!) : undefined;
    return new ImageFolder({ files, labels, classes, skipped: invalid, ignored, height, width, options });
  }

  /** Number of images. */
  get length(): number {
    return this.files.length;
  }

  /** Bytes of one decoded image (`height * width * channels`). */
  get imageBytes(): number {
    return this.height * this.width * this.channels;
  }

  /**
   * The 8-bit pixels of image `index` (HWC), decoded, converted and resized.
   *
   * @throws DataError `INVALID_IMAGE` naming the file when it cannot be decoded, `SIZE_MISMATCH` when no
   *   `size` was given and it differs from the dataset's.
   */
  async readBytes(index: number): Promise<Uint8Array> {
    checkIndex(index, this.length);
    const file = this.files[index];
    const image = await decodeImage(file, this.decode);
    if (image.height !== this.height || image.width !== this.width) {
      throw new DataError(
        "SIZE_MISMATCH",
        `Image "${file}" is ${image.width}×${image.height}, but the dataset's images are ${this.width}×${this.height} (pass size to resize)`,
        { file },
      );
    }
    return image.data;
  }

  /** Image `index`, normalised: `height * width * channels` float32 values, HWC. */
  async read(index: number): Promise<Float32Array> {
    return this.normalizer.apply(await this.readBytes(index));
  }

  /** The class index of image `index` (undefined when unlabelled). */
  label(index: number): number | undefined {
    checkIndex(index, this.length);
    return this.labels?.[index];
  }

  /** The images at `indices`, normalised and stacked into one `[n, height, width, channels]` tensor (dispose it). */
  batch(indices: ArrayLike<number>): Promise<tf.Tensor4D> {
    return readBatch(this, indices);
  }
}

/** Whether sharp can be asked to read a file with this extension (false for BMP and the like). */
function isReadable(ext: string, options: ImageOptions & ScanOptions): boolean {
  return options.extensions?.includes(ext) === true || !UNSUPPORTED_IMAGE_EXTENSIONS.includes(ext);
}
