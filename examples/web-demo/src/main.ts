import { Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendChoice, selectBackend } from "./backend";
import { attentionImage, drawScaled, toImageData } from "./draw";
import {
  type ClassChoice,
  canvasSize,
  cellAt,
  cellOrigin,
  className,
  type GridLayout,
  gridLayout,
  hasMarginal,
  parseClassChoice,
  type Subject,
  subjectOf,
  walkLabel,
} from "./grid";
import { slerp } from "./latent";
import { type LoadedModel, loadModel } from "./model";

/** The inspector draws one image at 5× (64 → 320 pixels). */
const INSPECT_SCALE = 5;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  modelInfo: $<HTMLParagraphElement>("model-info"),
  backend: $<HTMLParagraphElement>("backend"),
  status: $<HTMLParagraphElement>("status"),
  gridTitle: $<HTMLHeadingElement>("grid-title"),
  gridCaption: $<HTMLParagraphElement>("grid-caption"),
  gridHint: $<HTMLParagraphElement>("grid-hint"),
  classPicker: $<HTMLLabelElement>("class-picker"),
  classSelect: $<HTMLSelectElement>("class"),
  seed: $<HTMLInputElement>("seed"),
  newDigits: $<HTMLButtonElement>("new-digits"),
  grid: $<HTMLCanvasElement>("grid"),
  from: $<HTMLInputElement>("from"),
  to: $<HTMLInputElement>("to"),
  walk: $<HTMLInputElement>("walk"),
  image: $<HTMLCanvasElement>("image"),
  overlay: $<HTMLCanvasElement>("overlay"),
  layer: $<HTMLSelectElement>("layer"),
  clear: $<HTMLButtonElement>("clear"),
  attentionInfo: $<HTMLParagraphElement>("attention-info"),
};

interface State {
  model: LoadedModel;
  /** What the model draws (digits, clothes, images), for the page's words. */
  subject: Subject;
  seed: number;
  /** The class picker's choice (a conditional generator; "all" otherwise). */
  choice: ClassChoice;
  /** The grid's shape and labels, for the choice. */
  layout: GridLayout;
  /** The grid's latent codes. */
  codes: Float32Array[];
  /** The grid's images, `[count, 64, 64, C]` in [-1, 1]. */
  gridPixels: Float32Array;
  from: number;
  to: number;
  /** Position of the walk between A and B, 0…1. */
  t: number;
  /** The inspected image's attention maps, one `[N·N]` row-major array per attention block. */
  maps: Float32Array[];
  /** The clicked pixel of the inspected image (0…63), if any. */
  pixel: { x: number; y: number } | null;
}
let state: State;

// ---- Rendering: one job at a time; requests made while one runs are merged into the next. ----
const pending = new Set<"grid" | "inspector">();
let running = false;

function request(kind: "grid" | "inspector"): void {
  pending.add(kind);
  if (!running) void pump();
}

async function pump(): Promise<void> {
  running = true;
  document.body.dataset.state = "busy";
  try {
    while (pending.size > 0) {
      if (pending.delete("grid")) {
        await renderGrid();
        pending.add("inspector"); // A and B are codes of the grid.
      } else if (pending.delete("inspector")) await renderInspector();
    }
    document.body.dataset.state = "ready";
  } catch (e) {
    fail(e);
  } finally {
    running = false;
  }
}

function bump(canvas: HTMLCanvasElement): void {
  canvas.dataset.version = String(Number(canvas.dataset.version ?? 0) + 1);
}

async function renderGrid(): Promise<void> {
  const started = performance.now();
  const { generator } = state.model;
  const layout = state.layout;
  // The same codes (and labels) as `gan sample --seed <seed> --n 16` (or `--class c`, `--per-class <columns>`)
  // draws: tfjs's seeded normal is backend-independent.
  const z = new Random(state.seed).normal([layout.count, generator.zDim]);
  const flat = (await z.data()) as Float32Array;
  state.codes = Array.from({ length: layout.count }, (_, i) => flat.slice(i * generator.zDim, (i + 1) * generator.zDim));
  const labels = layout.labels ? tf.tensor1d(layout.labels, "int32") : undefined;
  const { images } = generator.forward(z, { attentionMaps: false, ...(labels ? { labels } : {}) }); // the grid shows no maps
  tf.dispose([z, ...(labels ? [labels] : [])]);
  const pixels = (await images.data()) as Float32Array;
  images.dispose();

  state.gridPixels = pixels;
  drawGrid();
  bump(ui.grid);
  timing("grid", started);
}

/** Draws the grid's images, with A and B marked. */
function drawGrid(): void {
  const { imageSize: size, model } = state.model.manifest;
  const { layout } = state;
  const { width, height } = canvasSize(layout, size);
  if (ui.grid.width !== width || ui.grid.height !== height) {
    ui.grid.width = width;
    ui.grid.height = height;
  }
  const ctx = ui.grid.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, ui.grid.width, ui.grid.height);
  for (let i = 0; i < layout.count; i++) {
    const [x, y] = cellOrigin(layout, size, i);
    drawScaled(ctx, toImageData(state.gridPixels, i, size, model.channels), x, y, layout.scale);
  }
  ui.grid.dataset.labels = layout.labels ? Array.from(layout.labels).join(",") : "";
  drawMarks();
}

/** Outlines A (blue) and B (orange) in the gaps around their images, with a letter in the corner. */
function drawMarks(): void {
  const ctx = ui.grid.getContext("2d")!;
  const size = state.model.manifest.imageSize;
  const cell = size * state.layout.scale;
  const ring = (i: number, colour: string) => {
    const [x, y] = cellOrigin(state.layout, size, i);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x - 2.5, y - 2.5, cell + 5, cell + 5);
  };
  ctx.lineWidth = 3;
  for (const [index, colour, letter] of [
    [state.from, "#1f6feb", "A"],
    [state.to, "#f08c00", "B"],
  ] as const) {
    ring(index, colour);
    const [x, y] = cellOrigin(state.layout, size, index);
    ctx.fillStyle = colour;
    ctx.fillRect(x - 1, y - 1, 15, 15);
    ctx.fillStyle = "#fff";
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillText(letter, x + 2, y + 11);
  }
}

async function renderInspector(): Promise<void> {
  const started = performance.now();
  const { generator, manifest } = state.model;
  const code = slerp(state.codes[state.from], state.codes[state.to], state.t);
  const z = tf.tensor2d(code, [1, generator.zDim]);
  const label = walkLabel(state.layout.labels, state.from, state.to, state.t);
  const labels = label === undefined ? undefined : tf.tensor1d([label], "int32");
  const { images, attentionMaps } = generator.forward(z, labels ? { labels } : {});
  tf.dispose([z, ...(labels ? [labels] : [])]);
  ui.image.dataset.label = label === undefined ? "" : String(label);
  const pixels = (await images.data()) as Float32Array;
  state.maps = [];
  for (const m of attentionMaps) state.maps.push((await m.data()) as Float32Array);
  tf.dispose([images, ...attentionMaps]);

  const ctx = ui.image.getContext("2d")!;
  drawScaled(ctx, toImageData(pixels, 0, manifest.imageSize, manifest.model.channels), 0, 0, INSPECT_SCALE);
  bump(ui.image);
  drawOverlay();
  timing("image", started);
}

const timings: Record<string, string> = {};
function timing(what: "grid" | "image", started: number): void {
  const { subject, layout } = state;
  timings[what] = `${what === "grid" ? `${layout.count} ${layout.count === 1 ? subject.singular : subject.plural}` : "1 image"} in ${Math.round(performance.now() - started)} ms`;
  ui.status.textContent = `Last drawn: ${Object.values(timings).join(", ")}.`;
}

/** Draws the clicked pixel's attention row of the selected block over the inspected image. */
function drawOverlay(): void {
  const ctx = ui.overlay.getContext("2d")!;
  ctx.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  const { manifest } = state.model;
  const pixel = state.pixel;
  if (manifest.attention.length === 0) {
    ui.attentionInfo.textContent = `A ${manifest.model.model.toUpperCase()} generator has no attention maps.`;
    bump(ui.overlay);
    return;
  }
  if (!pixel) {
    ui.attentionInfo.textContent = "Click a pixel of the image to see where it attends.";
    bump(ui.overlay);
    return;
  }
  const block = Number(ui.layer.value);
  const { side, after } = manifest.attention[block];
  const n = side * side;
  const scale = manifest.imageSize / side;
  // The output position of the attention layer under the clicked pixel: row j = cy·side + cx of the [N, N] map.
  const cx = Math.floor(pixel.x / scale);
  const cy = Math.floor(pixel.y / scale);
  const row = state.maps[block].subarray((cy * side + cx) * n, (cy * side + cx + 1) * n);
  drawScaled(ctx, attentionImage(row, side), 0, 0, (scale * INSPECT_SCALE) | 0);

  // The clicked pixel: a ring around it.
  ctx.strokeStyle = "#00e5ff";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc((pixel.x + 0.5) * INSPECT_SCALE, (pixel.y + 0.5) * INSPECT_SCALE, 7, 0, 2 * Math.PI);
  ctx.stroke();

  let best = 0;
  for (let i = 1; i < n; i++) if (row[i] > row[best]) best = i;
  ui.attentionInfo.textContent =
    `Pixel (${pixel.x}, ${pixel.y}) is cell (${cx}, ${cy}) of the ${side}×${side} attention after layer ${after}: ` +
    `it attends most to cell (${best % side}, ${Math.floor(best / side)}) with weight ${row[best].toFixed(4)} ` +
    `(uniform: ${(1 / n).toFixed(4)}).`;
  bump(ui.overlay);
}

// ---- Controls ----
function setSeed(seed: number): void {
  state.seed = seed;
  ui.seed.value = String(seed);
  updateAddress();
  request("grid");
}

/** The address fixes the grid (seed and class): reload or share it. */
function updateAddress(): void {
  const url = new URL(location.href);
  url.searchParams.set("seed", String(state.seed));
  if (state.choice === "all") url.searchParams.delete("class");
  else url.searchParams.set("class", state.choice === "marginal" ? "marginal" : className(state.model.manifest, state.choice));
  history.replaceState(null, "", url);
}

/** Picks the grid's class (a conditional generator): a new layout, A and B kept where they still exist. */
function setClass(choice: ClassChoice): void {
  state.choice = choice;
  state.layout = gridLayout(state.model.generator.numClasses, choice, state.model.manifest.classCounts);
  ui.classSelect.value = String(choice);
  updateAddress();
  describeGrid();
  const last = state.layout.count - 1;
  for (const input of [ui.from, ui.to]) input.max = String(last);
  if (state.from > last || state.to > last) {
    state.from = 0;
    state.to = Math.min(1, last);
    ui.from.value = String(state.from);
    ui.to.value = String(state.to);
  }
  request("grid");
}

/** The grid's title and caption, from the subject and the class choice. */
function describeGrid(): void {
  const { manifest, generator } = state.model;
  const { plural } = state.subject;
  const numClasses = generator.numClasses;
  if (numClasses === undefined) {
    ui.gridTitle.textContent = `New ${plural}`;
    ui.gridCaption.textContent = "";
  } else if (state.choice === "all") {
    const rows = state.layout.rows;
    const names = Array.from({ length: rows }, (_, c) => className(manifest, c)).join(", ");
    ui.gridTitle.textContent = `New ${plural}: one row per class`;
    ui.gridCaption.textContent = `Rows: ${names}${rows < numClasses ? ` (the first ${rows} of ${numClasses} classes)` : ""}.`;
  } else if (state.choice === "marginal") {
    ui.gridTitle.textContent = `New ${plural}: the classes in their share of the training images`;
    ui.gridCaption.textContent = "As an unconditional generator would draw them (gan sample --marginal).";
  } else {
    ui.gridTitle.textContent = `New ${plural} of class ${className(manifest, state.choice)}`;
    ui.gridCaption.textContent = "";
  }
}

function clampIndex(input: HTMLInputElement, fallback: number): number {
  const v = Number(input.value);
  const i = Number.isInteger(v) && v >= 0 && v < state.layout.count ? v : fallback;
  input.value = String(i);
  return i;
}

function setWalkEnds(from: number, to: number): void {
  state.from = from;
  state.to = to;
  ui.from.value = String(from);
  ui.to.value = String(to);
  drawGrid();
  request("inspector");
}

function wireControls(): void {
  ui.seed.addEventListener("change", () => {
    const v = Number(ui.seed.value);
    if (Number.isSafeInteger(v) && v >= 0) setSeed(v);
    else ui.seed.value = String(state.seed);
  });
  ui.newDigits.addEventListener("click", () => setSeed(Math.floor(Math.random() * 1_000_000)));
  ui.from.addEventListener("change", () => setWalkEnds(clampIndex(ui.from, state.from), state.to));
  ui.to.addEventListener("change", () => setWalkEnds(state.from, clampIndex(ui.to, state.to)));
  ui.walk.addEventListener("input", () => {
    state.t = Number(ui.walk.value) / 100;
    request("inspector");
  });
  ui.classSelect.addEventListener("change", () => {
    const value = ui.classSelect.value;
    setClass(value === "all" || value === "marginal" ? value : Number(value));
  });
  ui.grid.addEventListener("click", (e) => {
    const rect = ui.grid.getBoundingClientRect();
    const x = (e.clientX - rect.left) * (ui.grid.width / rect.width);
    const y = (e.clientY - rect.top) * (ui.grid.height / rect.height);
    const i = cellAt(state.layout, state.model.manifest.imageSize, x, y);
    if (i === undefined) return;
    if (e.shiftKey) setWalkEnds(state.from, i);
    else {
      ui.walk.value = "0";
      state.t = 0;
      setWalkEnds(i, state.to);
    }
  });
  ui.overlay.addEventListener("click", (e) => {
    const rect = ui.overlay.getBoundingClientRect();
    const size = state.model.manifest.imageSize;
    const x = Math.min(size - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * size)));
    const y = Math.min(size - 1, Math.max(0, Math.floor(((e.clientY - rect.top) / rect.height) * size)));
    state.pixel = { x, y };
    drawOverlay();
  });
  ui.layer.addEventListener("change", drawOverlay);
  ui.clear.addEventListener("click", () => {
    state.pixel = null;
    drawOverlay();
  });
}

function showBackend(choice: BackendChoice): void {
  const skipped = choice.skipped.map((s) => `${s.name} ${s.reason}`).join("; ");
  ui.backend.textContent = `Backend: ${choice.name} (${choice.detail})` + (skipped ? `, a fallback: ${skipped}.` : ".");
  ui.backend.classList.toggle("fallback", choice.skipped.length > 0);
  ui.backend.dataset.backend = choice.name;
}

/** "a digit", "an image". */
function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

/** ", 2 classes: 7, 8" for a conditional generator. */
function conditionalNote({ manifest, generator }: LoadedModel): string {
  const k = generator.numClasses;
  if (k === undefined) return "";
  const names = Array.from({ length: Math.min(k, 12) }, (_, c) => className(manifest, c)).join(", ");
  return `, ${k} ${k === 1 ? "class" : "classes"}: ${names}${k > 12 ? ", …" : ""}`;
}

function fail(e: unknown): void {
  document.body.dataset.state = "error";
  ui.status.classList.add("error");
  ui.status.textContent = `Error: ${(e as Error).message ?? e}`;
  console.error(e);
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const t0 = performance.now();
  const backend = await selectBackend(params.get("backend"));
  showBackend(backend);
  console.info(`backend ${backend.name} ready in ${Math.round(performance.now() - t0)} ms`);
  // The model folder: ./model/ next to the page (what the build ships), or ?model=<folder>.
  const base = new URL(params.get("model") ?? "model/", document.baseURI);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const model = await loadModel(base);
  const { manifest } = model;
  const subject = subjectOf(manifest);
  const step = manifest.source.step === null ? "" : `, step ${manifest.source.step}`;
  ui.modelInfo.textContent =
    `${manifest.model.model.toUpperCase()} generator (width ${manifest.model.width}, z ${manifest.model.zDim}${conditionalNote(model)}) ` +
    `from run ${manifest.source.run}${step}.`;
  document.title = `GAN toolkit: ${subject.plural} from a generator in the browser`;
  ui.newDigits.textContent = `New ${subject.plural}`;
  ui.gridHint.textContent = `Click ${article(subject.singular)} to start the walk there (A); shift-click to end it there (B).`;
  const numClasses = model.generator.numClasses;
  ui.classPicker.hidden = numClasses === undefined;
  if (numClasses !== undefined) {
    ui.classSelect.add(new Option("all classes: one row per class", "all"));
    if (hasMarginal(numClasses, manifest.classCounts)) ui.classSelect.add(new Option("as in the data: classes in their share", "marginal"));
    for (let c = 0; c < numClasses; c++) ui.classSelect.add(new Option(className(manifest, c), String(c)));
  }
  for (const [i, a] of manifest.attention.entries()) ui.layer.add(new Option(`after layer ${a.after} (${a.side}×${a.side})`, String(i)));
  ui.layer.value = String(Math.max(0, manifest.attention.length - 1)); // The finer map by default.
  ui.layer.disabled = ui.clear.disabled = manifest.attention.length === 0;

  const seed = Number(params.get("seed") ?? 0);
  const choice = parseClassChoice(params.get("class"), manifest, numClasses);
  state = {
    model,
    subject,
    seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : 0,
    choice,
    layout: gridLayout(numClasses, choice, manifest.classCounts),
    codes: [],
    gridPixels: new Float32Array(0),
    from: 0,
    to: 1,
    t: 0,
    maps: [],
    pixel: null,
  };
  wireControls();
  ui.seed.value = String(state.seed);
  setClass(choice); // the words, the address and the grid
}

start().catch(fail);
