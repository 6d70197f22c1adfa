/** Pixels of generated images (NHWC float data in [-1, 1]) and attention rows, as canvas images. */

/** Image `index` of a `[B, size, size, channels]` batch as RGBA. */
export function toImageData(data: Float32Array, index: number, size: number, channels: number): ImageData {
  const out = new ImageData(size, size);
  const base = index * size * size * channels;
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[base + p * channels + (channels === 1 ? 0 : c)];
      out.data[p * 4 + c] = Math.round(Math.min(1, Math.max(0, (v + 1) / 2)) * 255);
    }
    out.data[p * 4 + 3] = 255;
  }
  return out;
}

/** Draws `image` into `ctx` at (x, y), scaled by `scale` with nearest-neighbour sampling (pixels stay pixels). */
export function drawScaled(ctx: CanvasRenderingContext2D, image: ImageData, x: number, y: number, scale: number): void {
  const tmp = document.createElement("canvas");
  tmp.width = image.width;
  tmp.height = image.height;
  tmp.getContext("2d")!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, x, y, image.width * scale, image.height * scale);
}

/**
 * One row of an attention map (an output position's weights over the `side × side` input positions) as a red
 * heat map, scaled from the row's smallest weight (transparent) to its largest (nearly opaque), as the
 * trainer's attention figures scale each map.
 */
export function attentionImage(row: Float32Array, side: number): ImageData {
  const out = new ImageData(side, side);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const w of row) {
    min = Math.min(min, w);
    max = Math.max(max, w);
  }
  for (let i = 0; i < side * side; i++) {
    const w = max > min ? (row[i] - min) / (max - min) : 1;
    out.data[i * 4] = 255;
    out.data[i * 4 + 1] = Math.round(60 * (1 - w));
    out.data[i * 4 + 2] = 0;
    out.data[i * 4 + 3] = Math.round(230 * w);
  }
  return out;
}
