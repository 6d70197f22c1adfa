// Helpers for the tests only (not exported from the package): build small images on the fly.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import sharp from "sharp";

/** A fresh temporary folder and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "gan-data-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `bytes` to `path`, creating its folder. */
export async function put(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

/** Encodes raw 8-bit pixels (HWC) in `format` (PNG/TIFF lossless, JPEG at quality 100). */
export async function encode(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: "png" | "jpeg" | "webp" | "gif" | "tiff" | "avif",
): Promise<Buffer> {
  let img = sharp(Uint8Array.from(pixels), { raw: { width, height, channels } });
  if (channels === 1) img = img.toColourspace("b-w");
  switch (format) {
    case "png":
      return img.png().toBuffer();
    case "jpeg":
      return img.jpeg({ quality: 100 }).toBuffer();
    case "webp":
      return img.webp({ lossless: true }).toBuffer();
    case "gif":
      return img.gif({ colours: 16, dither: 0 }).toBuffer();
    case "tiff":
      return img.tiff({ compression: "lzw" }).toBuffer();
    case "avif":
      return img.avif({ lossless: true }).toBuffer();
  }
}

/** A constant image. */
export function constant(width: number, height: number, value: readonly number[]): Uint8Array {
  const out = new Uint8Array(width * height * value.length);
  for (let i = 0; i < out.length; i++) out[i] = value[i % value.length];
  return out;
}

/** A one-pixel 24-bit BMP (a format sharp's prebuilt binaries cannot read). */
export const BMP_1X1 = Buffer.from("Qk06AAAAAAAAADYAAAAoAAAAAQAAAAEAAAABABgAAAAAAAQAAAATCwAAEwsAAAAAAAAAAAAAAAD/AA==", "base64");

/** Deterministic noise pixels (compress poorly, so a truncated file loses pixel data, not just its header). */
export function noise(width: number, height: number, channels: number): Uint8Array {
  let s = 12345;
  return Uint8Array.from({ length: width * height * channels }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}
