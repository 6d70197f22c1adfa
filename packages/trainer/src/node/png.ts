import sharp from "sharp";
import type { RgbImage } from "../image/rgb-image";

let cacheOff = false;

/** sharp with libvips' operation cache off: pictures are encoded once each, and the cache only grew with a run. */
function encoder(): typeof sharp {
  if (!cacheOff) {
    sharp.cache(false);
    cacheOff = true;
  }
  return sharp;
}

/** Encodes an {@link RgbImage} as PNG bytes (with sharp). */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return encoder()(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

/** Rasterises an SVG document to PNG bytes (with sharp's librsvg). */
export async function svgToPng(svg: string): Promise<Buffer> {
  return encoder()(Buffer.from(svg)).png().toBuffer();
}
