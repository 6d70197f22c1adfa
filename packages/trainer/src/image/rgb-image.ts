import type * as tf from "@tensorflow/tfjs-core";

/** An 8-bit RGB raster, row-major, 3 bytes per pixel: what the figure helpers compose and encode. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An RGB colour, 0–255 per channel. */
export type Rgb = readonly [number, number, number];

/** A `width`×`height` image filled with `background`. */
export function createImage(width: number, height: number, background: Rgb = [255, 255, 255]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = background[0];
    data[i + 1] = background[1];
    data[i + 2] = background[2];
  }
  return { width, height, data };
}

/** Copies `src` into `dst` with its top-left corner at (`x`, `y`), clipping at `dst`'s edges. */
export function blit(dst: RgbImage, src: RgbImage, x: number, y: number): void {
  for (let row = 0; row < src.height; row++) {
    const dy = y + row;
    if (dy < 0 || dy >= dst.height) continue;
    for (let col = 0; col < src.width; col++) {
      const dx = x + col;
      if (dx < 0 || dx >= dst.width) continue;
      const s = (row * src.width + col) * 3;
      const d = (dy * dst.width + dx) * 3;
      dst.data[d] = src.data[s];
      dst.data[d + 1] = src.data[s + 1];
      dst.data[d + 2] = src.data[s + 2];
    }
  }
}

/** Resizes by nearest neighbour (each target pixel takes the source pixel it falls in). */
export function resizeNearest(src: RgbImage, width: number, height: number): RgbImage {
  const out = createImage(width, height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor((y * src.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(src.width - 1, Math.floor((x * src.width) / width));
      const s = (sy * src.width + sx) * 3;
      const d = (y * width + x) * 3;
      out.data[d] = src.data[s];
      out.data[d + 1] = src.data[s + 1];
      out.data[d + 2] = src.data[s + 2];
    }
  }
  return out;
}

/**
 * Converts images `[B, H, W, C]` with values in [-1, 1] (a generator's tanh range; values outside are clipped)
 * into one RGB raster each. One channel is drawn as grey, three as RGB; a fourth (alpha) is ignored.
 */
export function imagesToRgb(images: tf.Tensor4D): RgbImage[] {
  const [b, h, w, c] = images.shape;
  if (c !== 1 && c !== 3 && c !== 4) throw new Error(`imagesToRgb: expected 1, 3 or 4 channels, got images [${images.shape}]`);
  const values = images.dataSync();
  const out: RgbImage[] = [];
  for (let i = 0; i < b; i++) {
    const data = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) {
      const base = (i * h * w + p) * c;
      for (let ch = 0; ch < 3; ch++) {
        const v = values[base + (c === 1 ? 0 : ch)];
        data[p * 3 + ch] = Math.round(Math.min(1, Math.max(-1, Number.isNaN(v) ? 0 : v)) * 127.5 + 127.5);
      }
    }
    out.push({ width: w, height: h, data });
  }
  return out;
}

/** Options of {@link tileGrid}. */
export interface TileGridOptions {
  /** Tiles per row. */
  columns: number;
  /** Pixels between tiles and around the edge (default 2). */
  gap?: number;
  /** Background colour (default a dark grey that frames both light and dark images). */
  background?: Rgb;
}

/** Lays equally sized tiles out in rows of `columns`. */
export function tileGrid(tiles: readonly RgbImage[], options: TileGridOptions): RgbImage {
  if (tiles.length === 0) throw new Error("tileGrid: no tiles");
  const gap = options.gap ?? 2;
  const columns = Math.max(1, Math.min(options.columns, tiles.length));
  const rows = Math.ceil(tiles.length / columns);
  const { width: tw, height: th } = tiles[0];
  const out = createImage(columns * tw + (columns + 1) * gap, rows * th + (rows + 1) * gap, options.background ?? [40, 40, 40]);
  tiles.forEach((tile, i) => {
    blit(out, tile, gap + (i % columns) * (tw + gap), gap + Math.floor(i / columns) * (th + gap));
  });
  return out;
}

/** Stacks images vertically, left-aligned, `gap` pixels apart. */
export function stackVertical(parts: readonly RgbImage[], gap = 0, background: Rgb = [40, 40, 40]): RgbImage {
  const width = Math.max(...parts.map((p) => p.width));
  const height = parts.reduce((h, p) => h + p.height, 0) + gap * (parts.length - 1);
  const out = createImage(width, height, background);
  let y = 0;
  for (const p of parts) {
    blit(out, p, 0, y);
    y += p.height + gap;
  }
  return out;
}
