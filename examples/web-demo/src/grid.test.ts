/** The grid's layout and labels, the walk's class and the page's words for the model (src/grid.ts). */
import { describe, expect, it } from "vitest";
import { canvasSize, cellAt, cellOrigin, className, gridLayout, hasMarginal, parseClassChoice, subjectOf, walkLabel } from "./grid";

const labelsOf = (numClasses: number | undefined, choice?: "all" | number) => {
  const labels = gridLayout(numClasses, choice).labels;
  return labels ? Array.from(labels) : undefined;
};

describe("gridLayout", () => {
  it("draws 4 × 4 images at 2× without labels for an unconditional generator (whatever the choice)", () => {
    expect(gridLayout(undefined)).toEqual({ count: 16, columns: 4, rows: 4, scale: 2 });
    expect(gridLayout(undefined, 3)).toEqual({ count: 16, columns: 4, rows: 4, scale: 2 });
  });

  it("draws one row per class by default, as `gan sample --per-class <columns>` labels them", () => {
    const two = gridLayout(2);
    expect({ ...two, labels: Array.from(two.labels!) }).toEqual({ count: 8, columns: 4, rows: 2, scale: 2, labels: [0, 0, 0, 0, 1, 1, 1, 1] });
    expect(labelsOf(4)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    // Ten classes: ⌊64 / 10⌋ = 6 columns at 1×, 60 images.
    const ten = gridLayout(10, "all");
    expect([ten.count, ten.columns, ten.rows, ten.scale]).toEqual([60, 6, 10, 1]);
    expect(Array.from(ten.labels!.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(ten.labels![59]).toBe(9);
    // Five classes: 8 columns (at most 8).
    expect([gridLayout(5).columns, gridLayout(5).count]).toEqual([8, 40]);
    // Many classes: the first 64, one image each.
    const many = gridLayout(1000);
    expect([many.count, many.columns, many.rows, many.labels![63]]).toEqual([64, 1, 64, 63]);
  });

  it("draws 4 × 4 images of the class picked", () => {
    const one = gridLayout(10, 7);
    expect([one.count, one.columns, one.rows, one.scale]).toEqual([16, 4, 4, 2]);
    expect(new Set(one.labels)).toEqual(new Set([7]));
    expect(() => gridLayout(10, 10)).toThrow("class 10: expected a label in [0, 10)");
    expect(() => gridLayout(2, 0.5)).toThrow(/expected a label/);
  });

  it("draws 4 × 4 images with the classes in their share of the training images for 'marginal'", () => {
    // Counts 8 : 4 : 0 : 4 over 16 images: 8, 4, none and 4 of them, in label order (gan sample --n 16 --marginal).
    const marginal = gridLayout(4, "marginal", [8, 4, 0, 4]);
    expect([marginal.count, marginal.columns, marginal.rows, marginal.scale]).toEqual([16, 4, 4, 2]);
    expect(Array.from(marginal.labels ?? [])).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3]);
    expect(Array.from(gridLayout(3, "marginal", [1, 0, 1]).labels ?? [])).toEqual([...Array(8).fill(0), ...Array(8).fill(2)]);
    expect(() => gridLayout(4, "marginal")).toThrow("marginal: expected the images of each of the 4 classes, got none");
    expect(() => gridLayout(4, "marginal", [1, 2])).toThrow("marginal: expected the images of each of the 4 classes, got [1, 2]");
    expect([hasMarginal(2, [0, 0]), hasMarginal(undefined, [1]), hasMarginal(2, [3, 1])]).toEqual([false, false, true]);
  });
});

describe("grid geometry", () => {
  it("places images with an 8-pixel gap and finds the image under a pixel", () => {
    const plain = gridLayout(undefined);
    expect(canvasSize(plain, 64)).toEqual({ width: 552, height: 552 }); // as the page always drew it
    expect(cellOrigin(plain, 64, 0)).toEqual([8, 8]);
    expect(cellOrigin(plain, 64, 6)).toEqual([8 + 2 * 136, 8 + 136]);
    expect(cellAt(plain, 64, 8 + 2 * 136 + 20, 8 + 136 + 20)).toBe(6);
    expect(cellAt(plain, 64, 1000, 10)).toBeUndefined();

    const ten = gridLayout(10);
    expect(canvasSize(ten, 64)).toEqual({ width: 8 + 6 * 72, height: 8 + 10 * 72 });
    expect(cellOrigin(ten, 64, 7)).toEqual([8 + 72, 8 + 72]);
    expect(cellAt(ten, 64, 8 + 72 + 10, 8 + 72 + 10)).toBe(7);
    expect(cellAt(ten, 64, 8 + 6 * 72 + 10, 10)).toBeUndefined(); // right of the last column
  });
});

describe("walkLabel", () => {
  it("uses A's class up to halfway and B's from there; none for an unconditional grid", () => {
    const labels = gridLayout(2).labels;
    expect([0, 0.49, 0.5, 1].map((t) => walkLabel(labels, 1, 6, t))).toEqual([0, 0, 1, 1]);
    expect(walkLabel(undefined, 1, 6, 0)).toBeUndefined();
  });
});

describe("the page's words for the model", () => {
  it("names digits, clothes or images from the manifest's class names", () => {
    expect(subjectOf({ classes: ["7", "8"] }).plural).toBe("digits");
    expect(subjectOf({ classes: ["0-t-shirt-top", "1-trouser", "9-ankle-boot"] })).toEqual({ plural: "clothes", singular: "garment" });
    expect(subjectOf({ classes: ["cats", "dogs"] }).plural).toBe("images");
    expect(subjectOf({}).plural).toBe("images");
    expect(subjectOf({ classes: [] }).plural).toBe("images");
  });

  it("names classes by the manifest, else by number, and reads ?class= by name first, then by index", () => {
    const manifest = { classes: ["7", "8"] };
    expect([className(manifest, 1), className({}, 1)]).toEqual(["8", "1"]);
    expect(parseClassChoice("8", manifest, 2)).toBe(1); // the class folder 8, label 1
    expect(parseClassChoice("1", manifest, 2)).toBe(1); // label 1
    expect(parseClassChoice("0", manifest, 2)).toBe(0);
    expect(parseClassChoice("9", manifest, 2)).toBe("all"); // neither: the default
    expect(parseClassChoice(null, manifest, 2)).toBe("all");
    expect(parseClassChoice("all", manifest, 2)).toBe("all");
    expect(parseClassChoice("1", {}, undefined)).toBe("all"); // unconditional

    // "marginal" only where the manifest records the images per class (a run of gan train, e.g. on gan cluster folders).
    expect(parseClassChoice("marginal", { ...manifest, classCounts: [3, 1] }, 2)).toBe("marginal");
    expect(parseClassChoice("marginal", manifest, 2)).toBe("all");
    expect(parseClassChoice("marginal", { ...manifest, classCounts: [3, 1, 2] }, 2)).toBe("all");
  });
});
