import { Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { type BackendChoice, selectBackend } from "./backend";
import { attentionImage, drawScaled, toImageData } from "./draw";
import { slerp } from "./latent";
import { type LoadedModel, loadModel } from "./model";

/** The grid: 4 × 4 digits, each drawn at twice its size. */
const COLUMNS = 4;
const COUNT = COLUMNS * COLUMNS;
const CELL_SCALE = 2;
const GAP = 8;
/** The inspector draws one image at 5× (64 → 320 pixels). */
const INSPECT_SCALE = 5;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  modelInfo: $<HTMLParagraphElement>("model-info"),
  backend: $<HTMLParagraphElement>("backend"),
  status: $<HTMLParagraphElement>("status"),
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
  seed: number;
  /** The grid's latent codes. */
  codes: Float32Array[];
  /** The grid's images, `[16, 64, 64, C]` in [-1, 1]. */
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
  // The same codes as `gan sample --seed <seed> --n 16` draws (tfjs's seeded normal is backend-independent).
  const z = new Random(state.seed).normal([COUNT, generator.zDim]);
  const flat = (await z.data()) as Float32Array;
  state.codes = Array.from({ length: COUNT }, (_, i) => flat.slice(i * generator.zDim, (i + 1) * generator.zDim));
  const { images } = generator.forward(z, { attentionMaps: false }); // the grid shows no maps
  z.dispose();
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
  const ctx = ui.grid.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, ui.grid.width, ui.grid.height);
  const cell = size * CELL_SCALE;
  for (let i = 0; i < COUNT; i++) {
    const [x, y] = cellOrigin(i, cell);
    drawScaled(ctx, toImageData(state.gridPixels, i, size, model.channels), x, y, CELL_SCALE);
  }
  drawMarks();
}

/** Top-left corner of grid cell `i`: cells of side `cell` with a gap of GAP around each. */
function cellOrigin(i: number, cell: number): [number, number] {
  return [GAP + (i % COLUMNS) * (cell + GAP), GAP + Math.floor(i / COLUMNS) * (cell + GAP)];
}

/** Outlines A (blue) and B (orange) in the gaps around their images, with a letter in the corner. */
function drawMarks(): void {
  const ctx = ui.grid.getContext("2d")!;
  const cell = state.model.manifest.imageSize * CELL_SCALE;
  const ring = (i: number, colour: string) => {
    const [x, y] = cellOrigin(i, cell);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x - 2.5, y - 2.5, cell + 5, cell + 5);
  };
  ctx.lineWidth = 3;
  for (const [index, colour, letter] of [
    [state.from, "#1f6feb", "A"],
    [state.to, "#f08c00", "B"],
  ] as const) {
    ring(index, colour);
    const [x, y] = cellOrigin(index, cell);
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
  const { images, attentionMaps } = generator.forward(z);
  z.dispose();
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
  timings[what] = `${what === "grid" ? `${COUNT} digits` : "1 image"} in ${Math.round(performance.now() - started)} ms`;
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
  const url = new URL(location.href);
  url.searchParams.set("seed", String(seed));
  history.replaceState(null, "", url); // The address fixes the grid: reload or share it.
  request("grid");
}

function clampIndex(input: HTMLInputElement, fallback: number): number {
  const v = Number(input.value);
  const i = Number.isInteger(v) && v >= 0 && v < COUNT ? v : fallback;
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
  ui.grid.addEventListener("click", (e) => {
    const rect = ui.grid.getBoundingClientRect();
    const cell = state.model.manifest.imageSize * CELL_SCALE + GAP;
    const col = Math.floor(((e.clientX - rect.left) * (ui.grid.width / rect.width) - GAP / 2) / cell);
    const row = Math.floor(((e.clientY - rect.top) * (ui.grid.height / rect.height) - GAP / 2) / cell);
    if (col < 0 || col >= COLUMNS || row < 0 || row >= COLUMNS) return;
    const i = row * COLUMNS + col;
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

function fail(e: unknown): void {
  document.body.dataset.state = "error";
  ui.status.classList.add("error");
  ui.status.textContent = `Error: ${(e as Error).message ?? e}`;
  console.error(e);
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const t0 = performance.now();
  const choice = await selectBackend(params.get("backend"));
  showBackend(choice);
  console.info(`backend ${choice.name} ready in ${Math.round(performance.now() - t0)} ms`);
  // The model folder: ./model/ next to the page (what the build ships), or ?model=<folder>.
  const base = new URL(params.get("model") ?? "model/", document.baseURI);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const model = await loadModel(base);
  const { manifest } = model;
  const step = manifest.source.step === null ? "" : `, step ${manifest.source.step}`;
  ui.modelInfo.textContent =
    `${manifest.model.model.toUpperCase()} generator (width ${manifest.model.width}, z ${manifest.model.zDim}) ` +
    `from run ${manifest.source.run}${step}.`;
  for (const [i, a] of manifest.attention.entries()) ui.layer.add(new Option(`after layer ${a.after} (${a.side}×${a.side})`, String(i)));
  ui.layer.value = String(Math.max(0, manifest.attention.length - 1)); // The finer map by default.
  ui.layer.disabled = ui.clear.disabled = manifest.attention.length === 0;

  const seed = Number(params.get("seed") ?? 0);
  state = { model, seed: Number.isSafeInteger(seed) && seed >= 0 ? seed : 0, codes: [], gridPixels: new Float32Array(0), from: 0, to: 1, t: 0, maps: [], pixel: null };
  wireControls();
  setSeed(state.seed);
}

start().catch(fail);
