import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "./errors";
import { ImageFolder } from "./image-folder";
import { BMP_1X1, constant, encode, noise, put, tempDir } from "./test-helpers";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  await tf.setBackend("cpu");
  ({ dir: root, cleanup } = await tempDir());
});
afterAll(() => cleanup());

/** A folder of constant-gray 4×4 PNGs: `{ "cat/a.png": 10, … }`. */
async function folder(name: string, files: Record<string, number | string | Uint8Array>): Promise<string> {
  const dir = join(root, name);
  for (const [rel, content] of Object.entries(files)) {
    await put(join(dir, rel), typeof content === "number" ? await encode(constant(4, 4, [content]), 4, 4, 1, "png") : content);
  }
  return dir;
}

async function failure(p: Promise<unknown>): Promise<DataError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe("ImageFolder: reading", () => {
  it("lists images recursively in sorted path order, ignoring non-image files", async () => {
    const dir = await folder("order", { "b.png": 2, "a/z.png": 1, "a/y/x.png": 3, "c.PNG": 4, "notes.txt": "hi", "A.png": 0 });
    const ds = await ImageFolder.open(dir, { channels: 1 });
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual(["A.png", "a/y/x.png", "a/z.png", "b.png", "c.PNG"]);
    expect(ds.ignored.map((f) => f.slice(dir.length + 1))).toEqual(["notes.txt"]);
    expect(ds.labels).toBeUndefined();
    expect([ds.height, ds.width, ds.channels, ds.length]).toEqual([4, 4, 1, 5]);
    const flat = await ImageFolder.open(dir, { channels: 1, recursive: false });
    expect(flat.length).toBe(3);
  });

  it("normalises with mean/std 0.5 into [-1, 1] (value v → (v/255 - 0.5) / 0.5)", async () => {
    const dir = await folder("norm", { "a.png": 0, "b.png": 255, "c.png": 100 });
    const ds = await ImageFolder.open(dir, { channels: 1 });
    expect([...(await ds.read(0))].every((v) => v === -1)).toBe(true);
    expect([...(await ds.read(1))].every((v) => v === 1)).toBe(true);
    const c = await ds.read(2);
    expect(c.length).toBe(16);
    for (const v of c) expect(v).toBeCloseTo((100 / 255 - 0.5) / 0.5, 6);
    const custom = await ImageFolder.open(dir, { channels: 3, mean: [0, 0.5, 1], std: [1, 0.25, 2] });
    const rgb = await custom.read(2);
    expect(rgb[0]).toBeCloseTo(100 / 255, 6);
    expect(rgb[1]).toBeCloseTo((100 / 255 - 0.5) / 0.25, 5);
    expect(rgb[2]).toBeCloseTo((100 / 255 - 1) / 2, 6);
  });

  it("makes a batch tensor [n, h, w, c] with the images in the given order, leaking nothing", async () => {
    const dir = await folder("batch", { "a.png": 0, "b.png": 255, "c.png": 51 });
    const ds = await ImageFolder.open(dir, { channels: 3, size: [2, 3] });
    const before = tf.memory().numTensors;
    const batch = await ds.batch([2, 0]);
    expect(batch.shape).toEqual([2, 2, 3, 3]);
    expect(batch.dtype).toBe("float32");
    const values = batch.dataSync();
    expect(values[0]).toBeCloseTo((51 / 255 - 0.5) / 0.5, 6);
    expect(values[18]).toBe(-1);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("labels images by sorted class sub-folder", async () => {
    const dir = await folder("labels", { "zebra/1.png": 1, "ant/deep/2.png": 2, "moth/3.png": 3, "ant/4.png": 4 });
    const ds = await ImageFolder.open(dir, { channels: 1, labels: true });
    expect(ds.classes).toEqual(["ant", "moth", "zebra"]);
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual(["ant/4.png", "ant/deep/2.png", "moth/3.png", "zebra/1.png"]);
    expect([...ds.labels!]).toEqual([0, 0, 1, 2]);
    expect(ds.label(3)).toBe(2);
  });

  it("fromFiles keeps the given order and labels", async () => {
    const dir = await folder("list", { "x.png": 10, "y.png": 20 });
    const ds = await ImageFolder.fromFiles([join(dir, "y.png"), join(dir, "x.png")], { channels: 1, labels: [1, 0], classes: ["x", "y"] });
    expect((await ds.readBytes(0))[0]).toBe(20);
    expect([...ds.labels!]).toEqual([1, 0]);
    expect(ds.classes).toEqual(["x", "y"]);
  });

  it("resizes to `size`, and without it insists on one size", async () => {
    const dir = await folder("sizes", { "a.png": 5 });
    await put(join(dir, "b.png"), await encode(constant(6, 3, [7]), 6, 3, 1, "png"));
    const resized = await ImageFolder.open(dir, { channels: 1, size: 8 });
    expect((await resized.readBytes(1)).length).toBe(64);
    const error = await failure(ImageFolder.open(dir, { channels: 1 }));
    expect(error.code).toBe("SIZE_MISMATCH");
    expect(error.message).toContain(join(dir, "b.png"));
    expect(error.message).toContain("6×3");
    // found late, at read time, when validation is off
    const lazy = await ImageFolder.open(dir, { channels: 1, validate: "none" });
    const late = await failure(lazy.readBytes(1));
    expect(late.code).toBe("SIZE_MISMATCH");
    expect(late.file).toBe(join(dir, "b.png"));
  });

  it("follows symbolic links", async () => {
    const dir = await folder("links", { "real/a.png": 1 });
    await symlink(join(dir, "real"), join(dir, "linked"));
    await symlink(dir, join(dir, "real", "loop")); // a loop back up is not followed
    const ds = await ImageFolder.open(dir, { channels: 1 });
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual(["linked/a.png", "real/a.png"]);
  });
});

describe("ImageFolder: bad input", () => {
  it("a missing path", async () => {
    const e = await failure(ImageFolder.open(join(root, "does-not-exist")));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toContain(join(root, "does-not-exist"));
  });

  it("a path that is a file", async () => {
    const dir = await folder("file", { "a.png": 1 });
    const e = await failure(ImageFolder.open(join(dir, "a.png")));
    expect(e.code).toBe("NOT_A_DIRECTORY");
    expect(e.message).toMatch(/a\.png" is a file, not a folder/);
  });

  it("an empty folder (sub-folders without files count as empty)", async () => {
    await mkdir(join(root, "empty", "nested"), { recursive: true });
    const e = await failure(ImageFolder.open(join(root, "empty")));
    expect(e.code).toBe("EMPTY_FOLDER");
    expect(e.message).toContain(join(root, "empty"));
  });

  it("a folder with no images lists what it found", async () => {
    const dir = await folder("noimages", { "readme.txt": "x", "data.csv": "1,2" });
    const e = await failure(ImageFolder.open(dir));
    expect(e.code).toBe("NO_IMAGES");
    expect(e.message).toContain("readme.txt");
    expect(e.message).toContain("data.csv");
  });

  it("lists every invalid file with its reason: corrupt, truncated, text as .png, BMP", async () => {
    const good = await encode(constant(4, 4, [9]), 4, 4, 1, "png");
    const jpg = await encode(noise(64, 64, 3), 64, 64, 3, "jpeg");
    const dir = await folder("invalid", {
      "ok.png": good,
      "corrupt.png": Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + 7) % 256),
      "text.png": "not an image",
      "truncated.jpg": jpg.subarray(0, jpg.length - 60),
      "old.bmp": BMP_1X1,
    });
    const header = await failure(ImageFolder.open(dir, { channels: 1 }));
    expect(header.code).toBe("INVALID_IMAGE");
    // The header check reads the end of JPEG and PNG files too: a cut file lacks its end marker.
    expect(header.files.map((f) => f.file.slice(dir.length + 1))).toEqual(["corrupt.png", "old.bmp", "text.png", "truncated.jpg"]);
    expect(header.message).toMatch(/truncated\.jpg: truncated file \(premature end of JPEG data: no end-of-image marker\)/);
    expect(header.message).toMatch(/corrupt\.png: not an image/);
    expect(header.message).toMatch(/old\.bmp: BMP is not supported/);
    const full = await failure(ImageFolder.open(dir, { channels: 1, validate: "full" }));
    expect(full.files.map((f) => f.file.slice(dir.length + 1))).toEqual(["corrupt.png", "old.bmp", "text.png", "truncated.jpg"]);
    // libvips reports a cut JPEG either as premature end of data or, in its generic form, as a failOn warning.
    expect(full.message).toMatch(/truncated\.jpg: (truncated file|corrupt image data)/);
  });

  it("skipInvalid leaves them out and warns with the list (nothing silently dropped)", async () => {
    const jpg = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#808080" } }).jpeg().toBuffer();
    const dir = await folder("skip", { "a.png": 1, "b.png": "junk", "c/d.jpg": jpg.subarray(0, 100), "e.png": 2 });
    const warnings: string[] = [];
    const ds = await ImageFolder.open(dir, { channels: 1, skipInvalid: true, onWarning: (m) => warnings.push(m) });
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual(["a.png", "e.png"]);
    expect(ds.skipped.map((f) => f.file.slice(dir.length + 1))).toEqual(["b.png", "c/d.jpg"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Skipping 2 invalid image file\(s\)/);
    expect(warnings[0]).toContain(join(dir, "b.png"));
    expect(warnings[0]).toContain(join(dir, "c/d.jpg"));
  });

  it("all images invalid with skipInvalid is still an error", async () => {
    const dir = await folder("allbad", { "a.png": "x", "b.png": "y" });
    const e = await failure(ImageFolder.open(dir, { skipInvalid: true, onWarning: () => {} }));
    expect(e.code).toBe("NO_IMAGES");
    expect(e.files).toHaveLength(2);
  });

  it("without validation a corrupt image fails when read, naming the file", async () => {
    const dir = await folder("lazy", { "a.png": 1, "b.png": "garbage bytes" });
    const ds = await ImageFolder.open(dir, { channels: 1, validate: "none" });
    expect(ds.length).toBe(2);
    const e = await failure(ds.readBytes(1));
    expect(e.code).toBe("INVALID_IMAGE");
    expect(e.file).toBe(join(dir, "b.png"));
  });

  it("labels: true with an image outside any class folder", async () => {
    const dir = await folder("noclass", { "cat/a.png": 1, "stray.png": 2 });
    const e = await failure(ImageFolder.open(dir, { labels: true }));
    expect(e.code).toBe("NO_CLASS_FOLDER");
    expect(e.message).toContain("stray.png");
  });

  it("fromFiles with a missing file and a folder", async () => {
    const dir = await folder("fromfiles", { "a.png": 1 });
    const e = await failure(ImageFolder.fromFiles([join(dir, "a.png"), join(dir, "gone.png"), dir]));
    expect(e.files.map((f) => f.reason)).toEqual(["file not found", "is a directory, not an image file"]);
  });

  it("bad options", async () => {
    const dir = await folder("opts", { "a.png": 1 });
    expect((await failure(ImageFolder.open(dir, { std: 0 }))).code).toBe("BAD_OPTION");
    expect((await failure(ImageFolder.open(dir, { mean: [0.5, 0.5] }))).code).toBe("BAD_OPTION");
    expect((await failure(ImageFolder.open(dir, { size: 0 }))).code).toBe("BAD_OPTION");
  });
});
