import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "./errors";
import { FASHION_MNIST_DIR, loadFashionMnist } from "./fashion-mnist";
import { parseIdx } from "./idx";
import { prepareMnist } from "./mnist";
import { put, tempDir } from "./test-helpers";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

/** An IDX file of unsigned bytes. */
function idx(dims: number[], data: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([header, Buffer.from(data)]);
}

describe("parseIdx", () => {
  it("reads dimensions and bytes, gzipped or not", () => {
    const raw = idx([2, 1, 3], [1, 2, 3, 4, 5, 6]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const parsed = parseIdx(bytes);
      expect(parsed.dims).toEqual([2, 1, 3]);
      expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("rejects a bad magic number, another element type, and a truncated file", () => {
    expect(() => parseIdx(Buffer.from("hello world"), "x")).toThrow(/not an IDX file/);
    const floats = idx([1], [0, 0, 0, 0]);
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, "f")).toThrow(/not unsigned byte/);
    expect(() => parseIdx(idx([2, 2], [1, 2, 3]), "t.idx")).toThrow(/t\.idx: IDX header says 2×2 = 4 bytes, file holds 3/);
  });
});

describe("Fashion-MNIST", () => {
  it("loads from a folder of IDX files (here a tiny synthetic one)", async () => {
    const fake = join(dir, "fake");
    await put(join(fake, "t10k-images-idx3-ubyte.gz"), gzipSync(idx([3, 2, 2], [0, 0, 0, 0, 1, 1, 1, 1, 9, 9, 9, 9])));
    await put(join(fake, "t10k-labels-idx1-ubyte"), idx([3], [9, 0, 9])); // uncompressed works too
    const set = await loadFashionMnist({ dir: fake, split: "test" });
    expect([set.count, set.height, set.width, [...set.labels]]).toEqual([3, 2, 2, [9, 0, 9]]);
    await expect(loadFashionMnist({ dir: fake })).rejects.toThrow(/train-images-idx3-ubyte\.gz/);
  });

  it("names the Debian package to install when the files are missing", async () => {
    const error = await loadFashionMnist({ dir: join(dir, "nowhere") }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe("MISSING_DATASET");
    expect((error as DataError).message).toMatch(/apt-get install dataset-fashion-mnist/);
    expect((error as DataError).message).toContain(join(dir, "nowhere", "train-images-idx3-ubyte.gz"));
  });

  const installed = existsSync(join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"));

  it(`prepares images from Debian's dataset-fashion-mnist (${installed ? "installed: real data" : "not installed: the clear error"})`, async () => {
    const out = join(dir, "fashion");
    if (!installed) {
      await expect(prepareMnist({ dataset: "fashion-mnist", outDir: out })).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
      return;
    }
    const train = await loadFashionMnist();
    expect([train.count, train.height, train.width]).toEqual([60000, 28, 28]);
    expect(train.labels.subarray(0, 10).join(",")).toBe("9,0,0,3,0,2,7,2,5,5"); // the published first ten training labels
    const test = await loadFashionMnist({ split: "test" });
    expect(test.count).toBe(10000);
    const paths = await prepareMnist({ dataset: "fashion-mnist", digits: [7, 9], perDigit: 5, outDir: out });
    expect((await readdir(out)).length).toBe(10);
    expect(paths[0].endsWith("img_7_0.jpg")).toBe(true);
    const meta = await sharp(paths[0]).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([64, 64, 1]);
  });
});
