import sharp from "sharp";
import type { RgbImage } from "../image/rgb-image";

/** Encodes an {@link RgbImage} as PNG bytes (with sharp). */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

/** Rasterises an SVG document to PNG bytes (with sharp's librsvg). */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
