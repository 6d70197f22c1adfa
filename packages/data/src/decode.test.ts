import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage, readImageHeader, rgbToGray } from "./decode";
import { DataError } from "./errors";
import { constant, encode, noise, put, tempDir } from "./test-helpers";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const RGB4 = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]; // red, green, blue, white (2×2)

describe("decodeImage: values", () => {
  it("reads a constant gray PNG as gray (1 channel) and as RGB (3 equal channels)", async () => {
    const file = await put(join(dir, "c.png"), await encode(constant(5, 7, [100]), 5, 7, 1, "png"));
    const gray = await decodeImage(file, { channels: 1 });
    expect([gray.width, gray.height, gray.channels, gray.data.length]).toEqual([5, 7, 1, 35]);
    expect(gray.data.every((v) => v === 100)).toBe(true);
    const rgb = await decodeImage(file, { channels: 3 });
    expect(rgb.data.length).toBe(105);
    expect(rgb.data.every((v) => v === 100)).toBe(true);
  });

  it("keeps a constant image constant through a resize", async () => {
    const file = await put(join(dir, "c2.png"), await encode(constant(9, 6, [30, 60, 90]), 9, 6, 3, "png"));
    for (const kernel of ["lanczos3", "cubic", "nearest"] as const) {
      const out = await decodeImage(file, { size: [4, 13], kernel });
      expect([out.height, out.width]).toEqual([4, 13]);
      for (let i = 0; i < out.data.length; i += 3) expect([...out.data.subarray(i, i + 3)]).toEqual([30, 60, 90]);
    }
  });

  it("decodes a 2×2 checker exactly, and enlarges it to 2×2 blocks with the nearest kernel", async () => {
    const file = await put(join(dir, "checker.png"), await encode([0, 255, 255, 0], 2, 2, 1, "png"));
    expect([...(await decodeImage(file, { channels: 1 })).data]).toEqual([0, 255, 255, 0]);
    const big = await decodeImage(file, { channels: 1, size: 4, kernel: "nearest" });
    expect([...big.data]).toEqual([0, 0, 255, 255, 0, 0, 255, 255, 255, 255, 0, 0, 255, 255, 0, 0]);
  });

  it("converts RGB to gray with Pillow's formula (red 76, green 150, blue 29, white 255)", async () => {
    const file = await put(join(dir, "rgb.png"), await encode(RGB4, 2, 2, 3, "png"));
    expect([...(await decodeImage(file, { channels: 1 })).data]).toEqual([76, 150, 29, 255]);
    expect([...(await decodeImage(file)).data]).toEqual(RGB4);
    expect([...rgbToGray(Uint8Array.from([10, 10, 10, 0, 0, 0, 200, 100, 50]))]).toEqual([10, 0, Math.floor(0.299 * 200 + 0.587 * 100 + 0.114 * 50 + 0.5)]);
  });

  it("reads GIF, lossless WebP, LZW TIFF and lossless AVIF", async () => {
    for (const format of ["gif", "webp", "tiff", "avif"] as const) {
      const file = await put(join(dir, `rgb.${format}`), await encode(RGB4, 2, 2, 3, format));
      const data = [...(await decodeImage(file)).data];
      for (const [i, v] of data.entries()) expect(Math.abs(v - RGB4[i]), `${format} value ${i}`).toBeLessThanOrEqual(format === "avif" ? 2 : 0);
    }
  });
});

describe("decodeImage: converts unusual but valid images", () => {
  it("16-bit gray PNG → 8 bits (high byte)", async () => {
    const samples = Uint16Array.from([0, 32896, 65535, 1000]);
    const png = await sharp(samples, { raw: { width: 2, height: 2, channels: 1 } }).toColourspace("grey16").png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe("ushort");
    const file = await put(join(dir, "g16.png"), png);
    expect([...(await decodeImage(file, { channels: 1 })).data]).toEqual([0, 128, 255, 3]);
  });

  it("16-bit RGB PNG → 8-bit RGB", async () => {
    const samples = Uint16Array.from([65535, 0, 0, 0, 65535, 0, 0, 0, 65535, 32896, 32896, 32896]);
    const png = await sharp(samples, { raw: { width: 2, height: 2, channels: 3 } }).toColourspace("rgb16").png().toBuffer();
    const file = await put(join(dir, "rgb16.png"), png);
    expect([...(await decodeImage(file)).data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]);
  });

  it("palette PNG → its colours", async () => {
    const png = await sharp(Uint8Array.from(RGB4), { raw: { width: 2, height: 2, channels: 3 } }).png({ palette: true, colours: 4, dither: 0 }).toBuffer();
    expect((await sharp(png).metadata()).isPalette).toBe(true);
    const file = await put(join(dir, "pal.png"), png);
    expect([...(await decodeImage(file)).data]).toEqual(RGB4);
  });

  it("RGBA: flattened onto the background by default, alpha dropped on request", async () => {
    // red at alpha 128, green opaque, blue fully transparent, white opaque
    const rgba = [255, 0, 0, 128, 0, 255, 0, 255, 0, 0, 255, 0, 255, 255, 255, 255];
    const file = await put(join(dir, "rgba.png"), await encode(rgba, 2, 2, 4, "png"));
    expect([...(await decodeImage(file)).data]).toEqual([128, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255]);
    expect([...(await decodeImage(file, { background: 255 })).data]).toEqual([255, 127, 127, 0, 255, 0, 255, 255, 255, 255, 255, 255]);
    expect([...(await decodeImage(file, { alpha: "drop" })).data]).toEqual(RGB4);
    // gray + alpha
    const la = await put(join(dir, "la.png"), await encode([200, 255, 200, 0], 2, 1, 2, "png"));
    expect([...(await decodeImage(la, { channels: 1 })).data]).toEqual([200, 0]);
  });

  it("CMYK JPEG → sRGB through colour management", async () => {
    const jpg = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .toColourspace("cmyk")
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(jpg).metadata()).space).toBe("cmyk");
    const file = await put(join(dir, "cmyk.jpg"), jpg);
    const { data, channels } = await decodeImage(file);
    expect(channels).toBe(3);
    // the round trip through the CMYK profile is not exact; red stays clearly red (measured 232, 0, 21)
    for (let i = 0; i < data.length; i += 3) {
      expect(data[i]).toBeGreaterThan(200);
      expect(data[i + 1]).toBeLessThan(30);
      expect(data[i + 2]).toBeLessThan(40);
    }
  });
});

describe("decodeImage: errors name the file and the problem", () => {
  const fails = async (file: string, reason: RegExp) => {
    const error = await decodeImage(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe("INVALID_IMAGE");
    expect((error as DataError).file).toBe(file);
    expect((error as DataError).message).toContain(file);
    expect((error as DataError).message).toMatch(reason);
  };

  it("truncated PNG and JPEG", async () => {
    const png = await encode(noise(32, 32, 3), 32, 32, 3, "png");
    const jpg = await encode(noise(32, 32, 3), 32, 32, 3, "jpeg");
    await fails(await put(join(dir, "t.png"), png.subarray(0, png.length >> 1)), /truncated/);
    await fails(await put(join(dir, "t.jpg"), jpg.subarray(0, jpg.length >> 1)), /truncated/);
  });

  it("readImageHeader finds truncated PNG and JPEG files by their missing end marker, and passes whole ones", async () => {
    const png = await encode(noise(32, 32, 3), 32, 32, 3, "png");
    const jpg = await encode(noise(32, 32, 3), 32, 32, 3, "jpeg");
    for (const [name, bytes] of [["whole.png", png], ["whole.jpg", jpg]] as const) {
      expect(await readImageHeader(await put(join(dir, name), bytes))).toMatchObject({ width: 32, height: 32 });
    }
    // A whole JPEG with padding after its EOI marker (some encoders write it) still passes.
    const padded = new Uint8Array([...jpg, ...new Uint8Array(100)]);
    expect(await readImageHeader(await put(join(dir, "padded.jpg"), padded))).toMatchObject({ format: "jpeg" });
    for (const [name, bytes] of [["cut.png", png.subarray(0, png.length - 20)], ["cut.jpg", jpg.subarray(0, jpg.length - 60)]] as const) {
      const file = await put(join(dir, name), bytes);
      await expect(readImageHeader(file)).rejects.toThrow(/truncated file \(premature end of (PNG|JPEG) data: no end-of-image marker\)/);
    }
  });

  it("corrupt bytes, a text file named .png, an empty file", async () => {
    const noise = Uint8Array.from({ length: 500 }, (_, i) => (i * 7919 + 13) % 256);
    await fails(await put(join(dir, "noise.png"), noise), /not an image/);
    await fails(await put(join(dir, "text.png"), "this is not a PNG\n"), /not an image/);
    await fails(await put(join(dir, "empty.jpg"), ""), /empty file/);
  });

  it("a PNG whose pixel data is damaged", async () => {
    const png = Buffer.from(await encode(constant(16, 16, [10, 20, 30]), 16, 16, 3, "png"));
    const idat = png.indexOf("IDAT");
    for (let i = idat + 6; i < idat + 20; i++) png[i] ^= 0xa5;
    await fails(await put(join(dir, "damaged.png"), png), /corrupt|truncated/);
  });

  it("a missing path and a folder", async () => {
    await fails(join(dir, "nope.png"), /file not found/);
    await fails(dir, /is a directory/);
  });

  it("readImageHeader reads the size without decoding, and fails the same way", async () => {
    const file = await put(join(dir, "h.png"), await encode(constant(3, 5, [1]), 3, 5, 1, "png"));
    expect(await readImageHeader(file)).toEqual({ width: 3, height: 5, format: "png" });
    await expect(readImageHeader(await put(join(dir, "h.txt.png"), "hello"))).rejects.toThrow(/not an image/);
  });
});

describe("sharp's cache", () => {
  it("is off once an image has been read (a training loop decodes the same files every epoch)", async () => {
    const { dir, cleanup } = await tempDir();
    await readImageHeader(await put(join(dir, "a.png"), await encode(constant(4, 4, [9]), 4, 4, 1, "png")));
    await cleanup();
    const stats = sharp.cache() as { memory: { max: number }; files: { max: number }; items: { max: number } };
    expect([stats.memory.max, stats.files.max, stats.items.max]).toEqual([0, 0, 0]);
  });
});
