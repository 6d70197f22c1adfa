import * as tf from "@tensorflow/tfjs-core";
import { colorize } from "./colormap";
import { type Rgb, type RgbImage, resizeNearest, tileGrid } from "./rgb-image";

/** A position in an image as fractions of its width and height: `{ x: 0.5, y: 0.5 }` is the centre. */
export interface RelativePixel {
  x: number;
  y: number;
}

/** The map's spatial size `[h, w]` for `n` positions, with the images' aspect ratio. */
export function attentionGridSize(n: number, imageHeight: number, imageWidth: number): [number, number] {
  const h = Math.round(Math.sqrt((n * imageHeight) / imageWidth));
  const w = h > 0 ? n / h : 0;
  if (!Number.isInteger(w) || h * w !== n) {
    throw new Error(`attention map with ${n} positions does not tile a ${imageHeight}×${imageWidth} image's aspect ratio`);
  }
  return [h, w];
}

/**
 * The row-major index of the map position at `pixel` in an `h`×`w` map: `floor(f·(size − 1))` per axis, so
 * the default centre of a 16×16 map is (7, 7), the position the reference plots.
 */
export function queryIndex(pixel: RelativePixel, h: number, w: number): number {
  for (const [axis, f] of [["x", pixel.x], ["y", pixel.y]] as const) {
    if (!(f >= 0 && f <= 1)) throw new Error(`attention pixel ${axis} must be a fraction in [0, 1], got ${f}`);
  }
  return Math.floor(pixel.y * (h - 1)) * w + Math.floor(pixel.x * (w - 1));
}

/** Options of {@link attentionFigure}. */
export interface AttentionFigureOptions {
  /** The query position (default the centre). */
  pixel?: RelativePixel;
  /** Outline the query position on the images in this colour (default cyan); `null` draws no marker. */
  marker?: Rgb | null;
  /** Pixels between tiles (default 2). */
  gap?: number;
}

/**
 * The reference's attention figure for one or more attention layers: the images in the top row and, below
 * each, for every layer, the attention that the query position pays to every position (row `q` of the map
 * `[B, N, N]`), normalised per map and coloured with matplotlib's `Reds`, upscaled to the image size by
 * nearest neighbour. `tiles` are the images as drawn (any size); `maps` hold at least `tiles.length` samples.
 */
export function attentionFigure(
  tiles: readonly RgbImage[],
  maps: readonly tf.Tensor3D[],
  imageSize: readonly [number, number],
  options: AttentionFigureOptions = {},
): RgbImage {
  const n = tiles.length;
  if (n === 0) throw new Error("attentionFigure: no images");
  const pixel = options.pixel ?? { x: 0.5, y: 0.5 };
  const marker = options.marker === undefined ? ([0, 200, 255] as Rgb) : options.marker;
  const { width: tw, height: th } = tiles[0];
  const rows: RgbImage[][] = [];
  let finest: { h: number; w: number; q: number } | undefined;
  for (const [layer, map] of maps.entries()) {
    const [b, q, k] = map.shape;
    if (q !== k || b < n) {
      throw new Error(`attentionFigure: attention map ${layer} has shape [${map.shape}], expected [>=${n}, N, N]`);
    }
    const [h, w] = attentionGridSize(k, imageSize[0], imageSize[1]);
    const query = queryIndex(pixel, h, w);
    if (!finest || h > finest.h) finest = { h, w, q: query };
    const row = tf.tidy(() => tf.slice(map, [0, query, 0], [n, 1, k]).dataSync());
    rows.push(Array.from({ length: n }, (_, i) => resizeNearest(colorize(row.subarray(i * k, (i + 1) * k), w, h), tw, th)));
  }
  const top = marker && finest ? tiles.map((t) => outlineCell(t, finest!, marker)) : [...tiles];
  return tileGrid([...top, ...rows.flat()], { columns: n, gap: options.gap ?? 2 });
}

/** A copy of `tile` with the map cell `q` of an `h`×`w` grid outlined. */
function outlineCell(tile: RgbImage, cell: { h: number; w: number; q: number }, colour: Rgb): RgbImage {
  const out = { width: tile.width, height: tile.height, data: Uint8Array.from(tile.data) };
  const cy = Math.floor(cell.q / cell.w);
  const cx = cell.q % cell.w;
  const x0 = Math.floor((cx * tile.width) / cell.w) - 1;
  const x1 = Math.ceil(((cx + 1) * tile.width) / cell.w);
  const y0 = Math.floor((cy * tile.height) / cell.h) - 1;
  const y1 = Math.ceil(((cy + 1) * tile.height) / cell.h);
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= out.width || y >= out.height) return;
    const d = (y * out.width + x) * 3;
    out.data[d] = colour[0];
    out.data[d + 1] = colour[1];
    out.data[d + 2] = colour[2];
  };
  for (let x = x0; x <= x1; x++) {
    put(x, y0);
    put(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    put(x0, y);
    put(x1, y);
  }
  return out;
}
