/**
 * File extensions {@link ImageFolder} reads, each decoded by sharp's prebuilt libvips (sharp 0.34.5,
 * libvips 8.17): JPEG, PNG, WebP, GIF (first frame), TIFF and AVIF.
 */
export const IMAGE_EXTENSIONS: readonly string[] = [
  ".jpg",
  ".jpeg",
  ".jpe",
  ".jfif",
  ".png",
  ".webp",
  ".gif",
  ".tif",
  ".tiff",
  ".avif",
];

/**
 * Image extensions sharp's prebuilt binaries cannot decode (they ship without ImageMagick, so no BMP,
 * ICO, PSD, PNM; no HEIC, JPEG 2000 or JPEG XL either). Such files are not ignored: they are reported as
 * invalid, like a corrupt file, so nothing in a dataset folder is silently dropped.
 */
export const UNSUPPORTED_IMAGE_EXTENSIONS: readonly string[] = [
  ".bmp",
  ".dib",
  ".ico",
  ".psd",
  ".pbm",
  ".pgm",
  ".ppm",
  ".pnm",
  ".heic",
  ".heif",
  ".jp2",
  ".j2k",
  ".jxl",
];

/** Lower-cased extension of a path, with its dot (`""` when there is none). */
export function extensionOf(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dot = path.lastIndexOf(".");
  return dot > slash + 1 ? path.slice(dot).toLowerCase() : "";
}
