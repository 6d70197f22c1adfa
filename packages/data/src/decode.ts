import { open, stat } from "node:fs/promises";
import type sharp from "sharp";
import { DataError } from "./errors";
import { sharpWithoutCache } from "./sharp-instance";

/** How an image is turned into 8-bit pixels. */
export interface DecodeOptions {
  /** 1: grayscale (Pillow's `L`: 0.299 R + 0.587 G + 0.114 B), 3: RGB. Default 3. */
  channels?: 1 | 3;
  /** Output `[height, width]`, or one number for a square; omitted: the image's own size. */
  size?: number | readonly [number, number];
  /**
   * How an image of another aspect ratio fills `size`: `"cover"` scales it to cover and crops the centre
   * (torchvision's `Resize` + `CenterCrop`), `"contain"` letterboxes it onto `background`, `"fill"` stretches
   * it. Default `"cover"`.
   */
  fit?: "cover" | "contain" | "fill";
  /** sharp's resampling kernel when shrinking (sharp ignores it when enlarging). Default `"lanczos3"`. */
  kernel?: keyof sharp.KernelEnum;
  /**
   * What to do with an alpha channel: `"flatten"` composites the image onto `background` (the default),
   * `"drop"` discards alpha and keeps the colour under it (what Pillow's `convert("RGB")` does).
   */
  alpha?: "flatten" | "drop";
  /** Background for `alpha: "flatten"` and `fit: "contain"`: one gray level or `[r, g, b]`, 0…255. Default 0. */
  background?: number | readonly [number, number, number];
}

/** A decoded image: interleaved 8-bit pixels, row-major (HWC). */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** `[height, width]` from a `size` option. */
export function sizeOf(size: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof size === "number" ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new DataError("BAD_OPTION", `size must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  }
  return [h, w];
}

function backgroundOf(background: DecodeOptions["background"]): { r: number; g: number; b: number } {
  const [r, g, b] = typeof background === "number" ? [background, background, background] : (background ?? [0, 0, 0]);
  return { r, g, b };
}

/**
 * Decodes one image file with sharp into 8-bit gray or RGB, resized when `size` is given.
 *
 * Every valid image is converted rather than rejected: 16-bit samples are scaled to 8 bits (libvips keeps
 * the high byte, `v >> 8`), palette images are expanded, CMYK (and images with an ICC profile) are
 * converted to sRGB by libvips' colour management, alpha is flattened or dropped (see
 * {@link DecodeOptions.alpha}), grayscale sources are replicated to RGB exactly, and RGB is reduced to gray
 * with Pillow's integer formula. Animated GIF / multi-page TIFF: the first frame. EXIF orientation is not
 * applied (neither Pillow nor torchvision do).
 *
 * @throws DataError `INVALID_IMAGE` naming the file and what is wrong with it (not found, a folder, empty,
 *   not an image, truncated, corrupt).
 */
export async function decodeImage(file: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const channels = options.channels ?? 3;
  const background = backgroundOf(options.background);
  let pipeline = sharpWithoutCache()(file, { failOn: "warning" });
  pipeline = options.alpha === "drop" ? pipeline.removeAlpha() : pipeline.flatten({ background }).removeAlpha();
  if (options.size !== undefined) {
    const [height, width] = sizeOf(options.size);
    pipeline = pipeline.resize(width, height, {
      fit: options.fit ?? "cover",
      kernel: options.kernel ?? "lanczos3",
      position: "centre",
      background,
    });
  }
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await pipeline.toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw await decodeError(file, error);
  }
  const { data, info } = result;
  if (info.channels !== 3) {
    throw new DataError("INVALID_IMAGE", `Cannot decode image "${file}": decoded to ${info.channels} channels, expected 3`, { file });
  }
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 3) return { data: rgb, width: info.width, height: info.height, channels };
  return { data: rgbToGray(rgb), width: info.width, height: info.height, channels };
}

/**
 * RGB → gray exactly as Pillow's `convert("L")` (ITU-R 601-2 luma in 16-bit fixed point):
 * `(19595 R + 38470 G + 7471 B + 0x8000) >> 16`. Gray pixels (R = G = B) map to themselves.
 */
export function rgbToGray(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = (rgb[j] * 19595 + rgb[j + 1] * 38470 + rgb[j + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/**
 * Width, height and format from the file's header, without decoding the pixels. For JPEG and PNG it also reads
 * the file's last bytes: a file cut short lacks the end marker (JPEG's EOI, PNG's IEND chunk), which the header
 * alone does not show, so a truncated file fails here, up front, rather than mid-epoch.
 */
export async function readImageHeader(file: string): Promise<{ width: number; height: number; format: string }> {
  try {
    const meta = await sharpWithoutCache()(file).metadata();
    if (!meta.width || !meta.height) throw new Error("image has no size");
    const format = meta.format ?? "unknown";
    if ((format === "jpeg" || format === "png") && !(await hasEndMarker(file, format))) {
      throw new Error(`premature end of ${format.toUpperCase()} data: no end-of-image marker`);
    }
    return { width: meta.width, height: meta.height, format };
  } catch (error) {
    throw await decodeError(file, error);
  }
}

/** How far from the end an end marker may sit (encoders and cameras may pad after it). */
const TRAILER_BYTES = 1024;

/** Whether the last bytes of a JPEG hold its EOI marker (FF D9), or those of a PNG its IEND chunk type. */
async function hasEndMarker(file: string, format: "jpeg" | "png"): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TRAILER_BYTES);
    const tail = new Uint8Array(length);
    await handle.read(tail, 0, length, size - length);
    const marker = format === "jpeg" ? [0xff, 0xd9] : [0x49, 0x45, 0x4e, 0x44]; // "IEND"
    for (let i = tail.length - marker.length; i >= 0; i--) {
      if (marker.every((b, j) => tail[i + j] === b)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/** A {@link DataError} saying, in words, why `file` could not be read. */
async function decodeError(file: string, error: unknown): Promise<DataError> {
  const detail = error instanceof Error ? error.message : String(error);
  let reason: string;
  const info = await stat(file).catch(() => undefined);
  if (!info) reason = "file not found";
  else if (info.isDirectory()) reason = "is a directory, not an image file";
  else if (info.size === 0) reason = "empty file (0 bytes)";
  else if (/unsupported image format/i.test(detail)) reason = `not an image, or a format sharp cannot read (${detail})`;
  else if (/premature end|end of (stream|file)|truncat|unexpected end|short read|not enough/i.test(detail)) {
    reason = `truncated file (${detail})`;
  } else reason = `corrupt image data (${detail})`;
  return new DataError("INVALID_IMAGE", `Cannot decode image "${file}": ${reason}`, {
    file,
    files: [{ file, reason }],
    cause: error,
  });
}
