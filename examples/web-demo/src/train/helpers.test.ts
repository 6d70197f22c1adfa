/** The Train page's pure helpers: class folders of picked files, dropped folders, grey detection, the loss chart's numbers. */
import { describe, expect, it } from "vitest";
import { runningMean, valueRange } from "./chart";
import { classFolders, type DirectoryEntryLike, type EntryLike, type FileEntryLike, filePath, filesFromEntries, isGrey } from "./data";

/** A fake `FileSystemEntry` tree, as `webkitGetAsEntry()` gives for a dropped folder: `{ name: children | text }`. */
type Tree = { [name: string]: Tree | string | Error };
function fakeEntry(name: string, node: Tree | string | Error, parent = "", batch = 2): EntryLike {
  const fullPath = `${parent}/${name}`;
  if (typeof node === "string" || node instanceof Error) {
    const entry: FileEntryLike = {
      isFile: true,
      isDirectory: false,
      name,
      fullPath,
      file: (success, failure) =>
        setTimeout(() => (node instanceof Error ? failure?.(new DOMException(node.message, "NotReadableError")) : success(new File([node], name, { type: "image/png" })))),
    };
    return entry;
  }
  const children = Object.entries(node).map(([child, sub]) => fakeEntry(child, sub, fullPath, batch));
  const entry: DirectoryEntryLike = {
    isFile: false,
    isDirectory: true,
    name,
    fullPath,
    createReader() {
      // Batches of `batch` entries, then an empty one, as Chromium answers (in batches of 100).
      let next = 0;
      return {
        readEntries: (success) =>
          setTimeout(() => {
            success(children.slice(next, next + batch));
            next += batch;
          }),
      };
    },
  };
  return entry;
}

describe("filesFromEntries (a dropped folder)", () => {
  it("walks sub-folders in name order, reading every batch, with the paths a folder pick gives", async () => {
    const mine = fakeEntry("mine", { "8": { "b.png": "B", "a.png": "A", deeper: { "c.png": "C" } }, "7": { "x.png": "X", "y.png": "Y", "z.png": "Z" }, "broken.png": "?" });
    const { files, skipped } = await filesFromEntries([mine]);
    expect(files.map(filePath)).toEqual(["mine/7/x.png", "mine/7/y.png", "mine/7/z.png", "mine/8/a.png", "mine/8/b.png", "mine/8/deeper/c.png", "mine/broken.png"]);
    expect(await files[3].file.text()).toBe("A");
    expect(skipped).toEqual([]);
    // Sub-folders become classes, as in a picked folder (here with a loose file: no classes).
    const r = classFolders(files.slice(0, 6).map(filePath));
    expect(r && { labels: Array.from(r.labels), classes: r.classes }).toEqual({ labels: [0, 0, 0, 1, 1, 1], classes: ["7", "8"] });
    expect(classFolders(files.map(filePath))).toBeUndefined();
  });

  it("takes dropped files and folders together, and names the files it cannot read", async () => {
    const { files, skipped } = await filesFromEntries([fakeEntry("one.png", "1"), fakeEntry("d", { "ok.png": "2", "gone.png": new Error("the file is gone") })]);
    expect(files.map(filePath)).toEqual(["one.png", "d/ok.png"]);
    expect(skipped).toEqual([{ name: "d/gone.png", reason: "cannot be read (the file is gone)" }]);
  });

  it("gives a picked file its folder-relative path, else its name", () => {
    const picked = new File(["x"], "a.png");
    Object.defineProperty(picked, "webkitRelativePath", { value: "pick/7/a.png" });
    expect(filePath(picked)).toBe("pick/7/a.png");
    expect(filePath(new File(["x"], "b.png"))).toBe("b.png");
  });
});

describe("classFolders", () => {
  it("labels files by their first sub-folder under the picked one, classes in sorted order", () => {
    const r = classFolders(["pick/8/a.png", "pick/7/b.png", "pick/8/c/d.png"]);
    expect(r && { labels: Array.from(r.labels), classes: r.classes }).toEqual({ labels: [1, 0, 1], classes: ["7", "8"] });
  });
  it("gives no classes for loose files, a flat folder, or a single class", () => {
    expect(classFolders(["a.png", "b.png"])).toBeUndefined();
    expect(classFolders(["pick/a.png", "pick/7/b.png"])).toBeUndefined();
    expect(classFolders(["pick/7/a.png", "pick/7/b.png"])).toBeUndefined();
  });
});

describe("isGrey", () => {
  it("is true only when R = G = B in every pixel", () => {
    expect(isGrey(new Uint8ClampedArray([5, 5, 5, 255, 9, 9, 9, 0]))).toBe(true);
    expect(isGrey(new Uint8ClampedArray([5, 5, 5, 255, 9, 9, 8, 255]))).toBe(false);
  });
});

describe("the loss chart", () => {
  it("takes running means over a window, fewer values at the start", () => {
    expect(runningMean([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
  });
  it("spans the finite values, widened when flat", () => {
    expect(valueRange([[1, Number.NaN, 3], [2, Number.POSITIVE_INFINITY]])).toEqual([1, 3]);
    expect(valueRange([[2, 2]])).toEqual([1.5, 2.5]);
    expect(valueRange([[]])).toEqual([0, 1]);
  });
});
