import { type Rgb, type RgbImage, createImage } from "./rgb-image";

/** Maps a value in [0, 1] to a colour. */
export type Colormap = (t: number) => Rgb;

/** ColorBrewer's 9-class "Reds", the control points of matplotlib's `Reds` colormap. */
const REDS: readonly Rgb[] = [
  [255, 245, 240],
  [254, 224, 210],
  [252, 187, 161],
  [252, 146, 114],
  [251, 106, 74],
  [239, 59, 44],
  [203, 24, 29],
  [165, 15, 21],
  [103, 0, 13],
];

/** matplotlib's `Reds`: near-white at 0, dark red at 1, interpolated linearly between ColorBrewer's points. */
export const reds: Colormap = (t) => {
  const x = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (REDS.length - 1);
  const i = Math.min(REDS.length - 2, Math.floor(x));
  const f = x - i;
  const a = REDS[i];
  const b = REDS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
};

/**
 * Colours a `width`×`height` field of values (row-major) after normalising it to [0, 1] by its own minimum and
 * maximum, as matplotlib's `imshow` does by default. A constant field maps to 0.
 */
export function colorize(values: ArrayLike<number>, width: number, height: number, colormap: Colormap = reds): RgbImage {
  if (values.length !== width * height) {
    throw new Error(`colorize: ${values.length} values do not fill ${width}×${height}`);
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const range = hi - lo;
  const out = createImage(width, height);
  for (let i = 0; i < values.length; i++) {
    const c = colormap(range > 0 ? (values[i] - lo) / range : 0);
    out.data[i * 3] = c[0];
    out.data[i * 3 + 1] = c[1];
    out.data[i * 3 + 2] = c[2];
  }
  return out;
}
