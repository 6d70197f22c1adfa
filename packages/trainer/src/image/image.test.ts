import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { attentionFigure, attentionGridSize, queryIndex } from "./attention-figure";
import { colorize, reds } from "./colormap";
import { encodePng } from "../node/png";
import { imagesToRgb, resizeNearest, tileGrid } from "./rgb-image";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe("images", () => {
  it("maps [-1, 1] to 0–255, grey to RGB, clipping outliers", () => {
    const t = tf.tensor4d([-1, 0, 1, 2], [1, 2, 2, 1]);
    const [img] = imagesToRgb(t);
    expect([pixel(img, 0, 0), pixel(img, 1, 0), pixel(img, 0, 1), pixel(img, 1, 1)]).toEqual([
      [0, 0, 0],
      [128, 128, 128],
      [255, 255, 255],
      [255, 255, 255],
    ]);
    t.dispose();
  });

  it("upscales by nearest neighbour and lays tiles out in a grid", () => {
    const src = { width: 2, height: 1, data: Uint8Array.from([10, 10, 10, 200, 200, 200]) };
    const big = resizeNearest(src, 4, 2);
    expect([pixel(big, 0, 1), pixel(big, 1, 1), pixel(big, 2, 0), pixel(big, 3, 1)].map((p) => p[0])).toEqual([10, 10, 200, 200]);
    const grid = tileGrid([big, big, big], { columns: 2, gap: 1, background: [1, 2, 3] });
    expect([grid.width, grid.height]).toEqual([2 * 4 + 3, 2 * 2 + 3]);
    expect(pixel(grid, 0, 0)).toEqual([1, 2, 3]);
    expect(pixel(grid, 1, 1)[0]).toBe(10);
    expect(pixel(grid, 6, 4)).toEqual([1, 2, 3]); // the empty fourth cell
  });

  it("encodes PNGs that decode to the same pixels", async () => {
    const img = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 250, 251, 252]) };
    const { data, info } = await sharp(await encodePng(img)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([2, 1, 3]);
    expect(Array.from(data)).toEqual([1, 2, 3, 250, 251, 252]);
  });
});

describe("colormap", () => {
  it("is matplotlib's Reds: near-white to dark red", () => {
    expect(reds(0)).toEqual([255, 245, 240]);
    expect(reds(1)).toEqual([103, 0, 13]);
    expect(reds(0.5)).toEqual([251, 106, 74]);
  });

  it("normalises each field by its own range", () => {
    const img = colorize([2, 4, 6, 4], 2, 2);
    expect(pixel(img, 0, 0)).toEqual(reds(0));
    expect(pixel(img, 0, 1)).toEqual(reds(1));
    expect(pixel(img, 1, 0)).toEqual(reds(0.5));
  });
});

describe("attention figure", () => {
  it("picks the reference's centre pixel (7, 7) of a 16×16 map", () => {
    expect(queryIndex({ x: 0.5, y: 0.5 }, 16, 16)).toBe(7 * 16 + 7);
    expect(queryIndex({ x: 0, y: 1 }, 4, 8)).toBe(3 * 8);
    expect(attentionGridSize(32, 8, 16)).toEqual([4, 8]);
    expect(() => attentionGridSize(15, 8, 8)).toThrow("does not tile");
    expect(() => queryIndex({ x: 1.5, y: 0 }, 4, 4)).toThrow("attention pixel x must be a fraction in [0, 1]");
  });

  it("draws the images above the query pixel's map, darkest where it attends most", () => {
    // Two images of 8×8; one layer with a 4×4 map. Row q = (1, 1) → index 5 attends to position 14 (y 3, x 2).
    const n = 16;
    const values = new Float32Array(2 * n * n).fill(1 / n);
    for (const b of [0, 1]) {
      for (let k = 0; k < n; k++) values[b * n * n + 5 * n + k] = k === 14 ? 0.5 : 0.5 / 15;
    }
    const map = tf.tensor3d(values, [2, n, n]);
    const tiles = [0, 1].map(() => ({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(128) }));
    const fig = attentionFigure(tiles, [map], [8, 8], { gap: 0, marker: null });
    expect([fig.width, fig.height]).toEqual([16, 16]);
    expect(pixel(fig, 3, 3)).toEqual([128, 128, 128]); // top row: the image
    // Bottom row, first image: map cell (x 2, y 3) spans pixels x 4–5, y 6–7 → darkest red; elsewhere lightest.
    expect(pixel(fig, 5, 8 + 7)).toEqual(reds(1));
    expect(pixel(fig, 0, 8)).toEqual(reds(0));
    map.dispose();
  });
});
