/**
 * What the grid draws: how many images, in how many columns, at what scale, and (for a class-conditional
 * generator) the class of each image; and how the page names what the model draws. Pure functions, no DOM, no
 * tfjs: unit-tested in grid.test.ts.
 */
import { marginalLabels } from "@gan/metrics";
import type { WebManifest } from "@gan/recipes";

/**
 * The class picker's value: every class (one row each), the classes in their share of the training images
 * ("marginal", when the manifest records `classCounts`), or every image of one class (its label).
 */
export type ClassChoice = "all" | "marginal" | number;

/** The grid of an unconditional generator, and of one class: 4 × 4 images at twice their size. */
export const GRID_COLUMNS = 4;
export const GRID_COUNT = GRID_COLUMNS * GRID_COLUMNS;
/** At most this many images in the "all classes" grid (as the trainer's conditional sample grids). */
export const MAX_GRID_IMAGES = 64;

export interface GridLayout {
  /** Images drawn: the codes are `new Random(seed).normal([count, zDim])`. */
  count: number;
  columns: number;
  rows: number;
  /** Each image drawn at this many screen pixels per generated pixel. */
  scale: number;
  /** The label of each image (int32 `[count]`), for a conditional generator; undefined for an unconditional one. */
  labels?: Int32Array;
}

/**
 * The grid for a generator with `numClasses` classes (undefined: unconditional) and the picker's `choice`:
 *
 * - unconditional, or one class `c`: 16 images, 4 × 4 at 2× (the class's: `gan sample --seed N --n 16 --class c`);
 * - all classes: one row per class, as `gan sample --seed N --per-class <columns>` draws them: 4 columns at 2× for up
 *   to 4 classes, else ⌊64 / classes⌋ columns (at most 8, at least 1) at 1×; at most 64 classes are shown (the
 *   first 64), one image each beyond that;
 * - marginal: 16 images, 4 × 4 at 2×, labelled in proportion to `classCounts` (the images per class the run trained
 *   on), as `gan sample --seed N --n 16 --marginal` draws them.
 */
export function gridLayout(numClasses: number | undefined, choice: ClassChoice = "all", classCounts?: readonly number[]): GridLayout {
  if (numClasses === undefined) return { count: GRID_COUNT, columns: GRID_COLUMNS, rows: GRID_COLUMNS, scale: 2 };
  if (choice === "marginal") {
    if (!hasMarginal(numClasses, classCounts)) throw new Error(`marginal: expected the images of each of the ${numClasses} classes, got ${classCounts ? `[${classCounts.join(", ")}]` : "none"}`);
    return { count: GRID_COUNT, columns: GRID_COLUMNS, rows: GRID_COLUMNS, scale: 2, labels: marginalLabels(classCounts as readonly number[], GRID_COUNT) };
  }
  if (choice !== "all") {
    if (!Number.isInteger(choice) || choice < 0 || choice >= numClasses) throw new Error(`class ${choice}: expected a label in [0, ${numClasses})`);
    return { count: GRID_COUNT, columns: GRID_COLUMNS, rows: GRID_COLUMNS, scale: 2, labels: new Int32Array(GRID_COUNT).fill(choice) };
  }
  const rows = Math.min(numClasses, MAX_GRID_IMAGES);
  const columns = rows <= 4 ? GRID_COLUMNS : Math.max(1, Math.min(8, Math.floor(MAX_GRID_IMAGES / rows)));
  const count = rows * columns;
  const labels = Int32Array.from({ length: count }, (_, i) => Math.floor(i / columns));
  return { count, columns, rows, scale: columns <= GRID_COLUMNS ? 2 : 1, labels };
}

/** Whether `classCounts` (a manifest's) gives the images of each of `numClasses` classes, so "marginal" can be drawn. */
export function hasMarginal(numClasses: number | undefined, classCounts: readonly number[] | undefined): boolean {
  return numClasses !== undefined && classCounts !== undefined && classCounts.length === numClasses && classCounts.some((c) => c > 0);
}

/** The gap around each grid image, in screen pixels. */
export const GRID_GAP = 8;

/** Top-left corner of grid image `i` on the canvas. */
export function cellOrigin(layout: GridLayout, imageSize: number, i: number): [number, number] {
  const cell = imageSize * layout.scale + GRID_GAP;
  return [GRID_GAP + (i % layout.columns) * cell, GRID_GAP + Math.floor(i / layout.columns) * cell];
}

/** The canvas size for `layout`: the images with a gap around each. */
export function canvasSize(layout: GridLayout, imageSize: number): { width: number; height: number } {
  const cell = imageSize * layout.scale + GRID_GAP;
  return { width: GRID_GAP + layout.columns * cell, height: GRID_GAP + layout.rows * cell };
}

/** The grid image under canvas pixel (x, y), or undefined between or outside the images' cells. */
export function cellAt(layout: GridLayout, imageSize: number, x: number, y: number): number | undefined {
  const cell = imageSize * layout.scale + GRID_GAP;
  const col = Math.floor((x - GRID_GAP / 2) / cell);
  const row = Math.floor((y - GRID_GAP / 2) / cell);
  if (col < 0 || col >= layout.columns || row < 0 || row >= layout.rows) return undefined;
  const i = row * layout.columns + col;
  return i < layout.count ? i : undefined;
}

/**
 * The class the walk from grid image `from` (A) to `to` (B) draws at position `t` (0…1): A's up to halfway, B's
 * from there, so t = 0 draws exactly A and t = 1 exactly B (the latent code moves smoothly, the label cannot).
 */
export function walkLabel(labels: Int32Array | undefined, from: number, to: number, t: number): number | undefined {
  if (!labels) return undefined;
  return t < 0.5 ? labels[from] : labels[to];
}

/** Class `label`'s name: the manifest's (the class folder the run trained on), else its number. */
export function className(manifest: Pick<WebManifest, "classes">, label: number): string {
  return manifest.classes?.[label] ?? String(label);
}

/** What the model draws, for the page's title and buttons: `digits`, `clothes` or (unknown) `images`. */
export interface Subject {
  /** "digits" */
  plural: string;
  /** "digit" */
  singular: string;
}

const FASHION = /^\d+-(t-shirt-top|trouser|pullover|dress|coat|sandal|shirt|sneaker|bag|ankle-boot)$/;

/**
 * What the manifest's generator draws, judged from its class names (the manifest says nothing else about the data):
 * MNIST's class folders `0`…`9` are digits, Fashion-MNIST's `0-t-shirt-top`…`9-ankle-boot` clothes; anything else,
 * and every unconditional model, draws `images`.
 */
export function subjectOf(manifest: Pick<WebManifest, "classes">): Subject {
  const classes = manifest.classes;
  if (classes && classes.length > 0 && classes.every((c) => /^\d$/.test(c))) return { plural: "digits", singular: "digit" };
  if (classes && classes.length > 0 && classes.every((c) => FASHION.test(c))) return { plural: "clothes", singular: "garment" };
  return { plural: "images", singular: "image" };
}

/**
 * The picker's value for `?class=`: "marginal" when the manifest records the images per class, a class name the
 * manifest records, else a label index (as `gan sample --class`); "all" when absent or unknown.
 */
export function parseClassChoice(given: string | null, manifest: Pick<WebManifest, "classes" | "classCounts">, numClasses: number | undefined): ClassChoice {
  if (numClasses === undefined || given === null || given === "" || given === "all") return "all";
  if (given === "marginal") return hasMarginal(numClasses, manifest.classCounts) ? "marginal" : "all";
  const byName = manifest.classes?.indexOf(given) ?? -1;
  if (byName >= 0 && byName < numClasses) return byName;
  const index = /^\d+$/.test(given) ? Number(given) : Number.NaN;
  return Number.isSafeInteger(index) && index < numClasses ? index : "all";
}
