/**
 * The Train page: picks data and a named recipe, trains in a Web Worker (worker.ts), shows the fixed-z sample grids
 * of the generator and its EMA, the losses and steps per second, and saves the generator as `gan export-web` does.
 * The run (its settings in localStorage, its checkpoints in IndexedDB) survives a reload: the page reopens it where
 * its last checkpoint is.
 */
import { RECIPE_NAMES, type RecipeName, recipes } from "@gan/recipes";
import { explainChoice } from "../backend-choice";
import { drawScaled, toImageData } from "../draw";
import { drawLosses } from "./chart";
import { decodeFiles, deleteDataset, type EntryLike, filesFromEntries, loadDataset, loadMnist78, type PathedFile, type SkippedFile, storeDataset } from "./data";
import { type Reply, type Request, TRAIN_BACKENDS } from "./protocol";
import { type RunConfig, SAMPLE_COUNT, type TrainData } from "./session";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  backend: $<HTMLParagraphElement>("backend"),
  backendWhy: $<HTMLParagraphElement>("backend-why"),
  dataKind: $<HTMLSelectElement>("data-kind"),
  filePickers: $<HTMLDivElement>("file-pickers"),
  files: $<HTMLInputElement>("files"),
  dropZone: $<HTMLDivElement>("drop-zone"),
  folder: $<HTMLInputElement>("folder"),
  dataInfo: $<HTMLParagraphElement>("data-info"),
  recipe: $<HTMLSelectElement>("recipe"),
  recipeInfo: $<HTMLParagraphElement>("recipe-info"),
  start: $<HTMLButtonElement>("start"),
  pause: $<HTMLButtonElement>("pause"),
  resume: $<HTMLButtonElement>("resume"),
  discard: $<HTMLButtonElement>("discard"),
  runInfo: $<HTMLParagraphElement>("run-info"),
  trainStatus: $<HTMLParagraphElement>("train-status"),
  losses: $<HTMLCanvasElement>("losses"),
  save: $<HTMLButtonElement>("save"),
  saveEma: $<HTMLButtonElement>("save-ema"),
  saved: $<HTMLParagraphElement>("saved"),
  samples: $<HTMLCanvasElement>("samples"),
  samplesEma: $<HTMLCanvasElement>("samples-ema"),
  emaTitle: $<HTMLHeadingElement>("ema-title"),
  samplesInfo: $<HTMLParagraphElement>("samples-info"),
  status: $<HTMLParagraphElement>("status"),
};

/** Where the open run's settings are kept, for a reload. */
const RUN_KEY = "gan-web-train-run";
interface SavedRun {
  config: RunConfig;
  data: "mnist78" | "files";
}

const params = new URLSearchParams(location.search);
const numberParam = (name: string) => {
  const v = params.get(name);
  const n = v === null ? Number.NaN : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

type PageState = "loading" | "idle" | "ready" | "training" | "paused" | "done" | "error";
let state: PageState = "loading";
/** Whether the open run's fit() was started in this page (else Resume starts it). */
let started = false;
let run: SavedRun | undefined;
let epochs = 0;
let stepsPerEpoch: number | undefined;
let hasEma = false;
const history = { steps: [] as number[], d: [] as number[], g: [] as number[] };
let picked: TrainData | undefined;
let lastChart = 0;

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const waiters: Array<{ type: Reply["type"]; resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];

function send(request: Request): void {
  worker.postMessage(request);
}

/** Sends `request` and resolves with the worker's first reply of type `type` (rejects on its error). */
function call<T extends Reply["type"]>(request: Request, type: T): Promise<Extract<Reply, { type: T }>> {
  return new Promise((resolve, reject) => {
    waiters.push({ type, resolve: resolve as (r: Reply) => void, reject });
    send(request);
  });
}

worker.onmessage = (event: MessageEvent<Reply>) => {
  const reply = event.data;
  if (reply.type === "error") {
    const waiting = waiters.splice(0);
    for (const w of waiting) w.reject(new Error(reply.message));
    if (waiting.length === 0) fail(new Error(reply.message));
    return;
  }
  handle(reply);
  const i = waiters.findIndex((w) => w.type === reply.type);
  if (i >= 0) waiters.splice(i, 1)[0].resolve(reply);
};
worker.onerror = (e) => fail(new Error(`the training worker failed: ${e.message}`));

function setState(next: PageState): void {
  state = next;
  document.body.dataset.state = next;
  const open = run !== undefined;
  ui.start.disabled = next === "loading" || next === "training";
  ui.pause.disabled = next !== "training";
  ui.resume.disabled = !(next === "paused" || (next === "ready" && open));
  ui.resume.textContent = next === "ready" && open && !started ? "Continue the run" : "Resume";
  ui.discard.disabled = !open || next === "loading" || next === "training";
  ui.save.disabled = ui.saveEma.disabled = !open || next === "loading" || next === "training";
  ui.saveEma.disabled ||= !hasEma;
  ui.dataKind.disabled = ui.recipe.disabled = next === "training" || next === "loading";
}

function bump(canvas: HTMLElement): void {
  canvas.dataset.version = String(Number(canvas.dataset.version ?? 0) + 1);
}

/** Draws `SAMPLE_COUNT` images (`[n, 64, 64, C]` in [-1, 1]) in a 4 × 4 grid. */
function drawGrid(canvas: HTMLCanvasElement, pixels: Float32Array, channels: number): void {
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < SAMPLE_COUNT; i++) drawScaled(ctx, toImageData(pixels, i, 64, channels), 8 + (i % 4) * 72, 8 + Math.floor(i / 4) * 72, 1);
  bump(canvas);
}

function describeStatus(step: number, extra = ""): string {
  const epoch = stepsPerEpoch ? ` · epoch ${Math.floor(step / stepsPerEpoch)}/${epochs}` : "";
  return `step ${step}${epoch}${extra}`;
}

function handle(reply: Reply): void {
  switch (reply.type) {
    case "ready":
      ui.backend.textContent = `Backend: ${reply.detail}, in a Web Worker: the page stays responsive while it trains.`;
      ui.backend.dataset.backend = reply.backend;
      ui.backendWhy.textContent = `Why ${explainChoice({ name: reply.backend, detail: reply.detail, skipped: reply.skipped, asked: reply.asked }, TRAIN_BACKENDS)}`;
      ui.backendWhy.dataset.skipped = reply.skipped.map((s) => s.name).join(" ");
      ui.backendWhy.classList.toggle("fallback", reply.skipped.length > 0);
      return;
    case "opened":
      epochs = reply.epochs;
      stepsPerEpoch = reply.stepsPerEpoch;
      hasEma = reply.hasEma;
      ui.emaTitle.hidden = ui.samplesEma.hidden = !hasEma;
      ui.runInfo.textContent =
        `Run ${run?.config.id}: recipe ${reply.recipe} on ${run?.config.dataName}` +
        (reply.resumedFrom ? `, continued from its checkpoint at step ${reply.step} (${reply.resumedFrom}).` : ", new.");
      ui.trainStatus.textContent = describeStatus(reply.step);
      return;
    case "progress": {
      const p = reply.progress;
      history.steps.push(p.step);
      history.d.push(p.dLoss);
      history.g.push(p.gLoss);
      ui.trainStatus.textContent = describeStatus(p.step, ` · ${p.stepsPerSecond.toFixed(2)} steps/s · D ${p.dLoss.toFixed(3)} G ${p.gLoss.toFixed(3)}`);
      ui.trainStatus.dataset.step = String(p.step);
      ui.trainStatus.dataset.stepsPerSecond = String(p.stepsPerSecond);
      const now = performance.now();
      if (now - lastChart > 500) redrawChart(now);
      return;
    }
    case "samples": {
      const channels = reply.generator.length / (SAMPLE_COUNT * 64 * 64);
      drawGrid(ui.samples, reply.generator, channels);
      ui.samples.dataset.step = String(reply.step);
      if (reply.ema) {
        drawGrid(ui.samplesEma, reply.ema, channels);
        ui.samplesEma.dataset.step = String(reply.step);
      }
      ui.samplesInfo.textContent = `Generator at step ${reply.step}${reply.ema ? "" : `; EMA at step ${ui.samplesEma.dataset.step ?? "–"}`}.`;
      return;
    }
    case "paused":
      setState("paused");
      ui.trainStatus.textContent = describeStatus(reply.step, " · paused (checkpoint saved)");
      return;
    case "resumed":
      setState("training");
      return;
    case "done":
      redrawChart(performance.now());
      started = false;
      setState("done");
      ui.trainStatus.textContent = describeStatus(reply.step, ` · ${reply.status === "completed" ? "completed" : "stopped"} (checkpoint saved)`);
      return;
    default:
      return;
  }
}

function redrawChart(now: number): void {
  lastChart = now;
  drawLosses(ui.losses, history.steps, history.d, history.g);
  ui.losses.dataset.steps = String(history.steps.length);
  ui.losses.dataset.finite = String(history.d.every(Number.isFinite) && history.g.every(Number.isFinite));
  bump(ui.losses);
}

function fail(e: unknown): void {
  console.error(e);
  setState("error");
  ui.status.classList.add("error");
  ui.status.textContent = `Error: ${(e as Error).message ?? e}`;
}

/** The data a new run trains on: the bundled set, or the files picked (decoded already). */
async function currentData(): Promise<{ data: TrainData; name: string; kind: SavedRun["data"] }> {
  if (ui.dataKind.value === "mnist78") return { data: await loadMnist78(new URL("./", document.baseURI)), name: "MNIST 7/8 (400 images)", kind: "mnist78" };
  if (!picked) throw new Error("pick image files or a folder first");
  return { data: picked, name: `${picked.images.length} images of yours`, kind: "files" };
}

async function onFiles(files: FileList | ReadonlyArray<File | PathedFile> | null, unread: readonly SkippedFile[] = []): Promise<void> {
  if (!files || (files.length === 0 && unread.length === 0)) return;
  ui.dataInfo.textContent = `Decoding ${files.length} files…`;
  const { data, skipped } = await decodeFiles(Array.from(files), unread);
  picked = data;
  const bad = skipped.length > 0 ? ` Skipped ${skipped.length}: ${skipped.map((s) => `${s.name} (${s.reason})`).join("; ")}.` : "";
  ui.dataInfo.classList.toggle("warning", skipped.length > 0);
  ui.dataInfo.textContent = data
    ? `${data.images.length} images, ${data.channels === 1 ? "grey" : "colour"}, drawn at 64 × 64${data.classes ? `, classes ${data.classes.join(", ")}` : ""}.${bad}`
    : `No image could be read.${bad}`;
  ui.dataInfo.dataset.images = String(data?.images.length ?? 0);
  ui.dataInfo.dataset.skipped = String(skipped.length);
}

/**
 * A drop of files or folders (anywhere on the page): folders are walked (`webkitGetAsEntry`), their sub-folders
 * become classes as in a picked folder; without entries, the dropped files.
 */
async function onDrop(transfer: DataTransfer): Promise<void> {
  // The entries must be taken during the drop event itself, before any await.
  const entries = Array.from(transfer.items ?? [])
    .filter((item) => item.kind === "file")
    .map((item) => item.webkitGetAsEntry?.() as EntryLike | null | undefined)
    .filter((entry): entry is EntryLike => entry != null);
  const dropped = Array.from(transfer.files ?? []);
  if (state === "training" || state === "loading") return;
  ui.dataKind.value = "files";
  ui.filePickers.hidden = false;
  if (entries.length === 0) return onFiles(dropped);
  ui.dataInfo.textContent = "Reading the dropped folder…";
  const { files, skipped } = await filesFromEntries(entries);
  return onFiles(files, skipped);
}

async function closeRun(discard: boolean): Promise<void> {
  if (!run) return;
  const id = run.config.id;
  await call(discard ? { type: "discard", id } : { type: "close" }, "closed");
  if (discard) {
    localStorage.removeItem(RUN_KEY);
    if (run.data === "files") await deleteDataset(id);
  }
  run = undefined;
  started = false;
  history.steps.length = history.d.length = history.g.length = 0;
}

async function openRun(saved: SavedRun, data: TrainData): Promise<void> {
  run = saved;
  await call({ type: "open", config: saved.config, data }, "opened");
}

async function startNewRun(): Promise<void> {
  setState("loading");
  await closeRun(true);
  const { data, name, kind } = await currentData();
  const config: RunConfig = {
    id: `run-${Date.now().toString(36)}`,
    recipe: ui.recipe.value as RecipeName,
    seed: numberParam("seed") ?? 0,
    dataName: name,
    ...(numberParam("width") !== undefined ? { width: numberParam("width") } : {}),
    ...(numberParam("batch") !== undefined ? { batchSize: numberParam("batch") } : {}),
    ...(numberParam("steps") !== undefined ? { maxSteps: numberParam("steps") } : {}),
    ...(numberParam("checkpoint-steps") !== undefined ? { checkpointEverySteps: numberParam("checkpoint-steps") } : {}),
  };
  const saved: SavedRun = { config, data: kind };
  if (kind === "files") await storeDataset(config.id, data);
  localStorage.setItem(RUN_KEY, JSON.stringify(saved));
  await openRun(saved, data);
  begin();
}

function begin(): void {
  started = true;
  setState("training");
  send({ type: "start" });
}

/** A run kept by an earlier visit: reopened where its last checkpoint is, paused until Continue. */
async function reopen(): Promise<boolean> {
  const text = localStorage.getItem(RUN_KEY);
  if (!text) return false;
  let saved: SavedRun;
  try {
    saved = JSON.parse(text) as SavedRun;
  } catch {
    localStorage.removeItem(RUN_KEY);
    return false;
  }
  // The address may move the run's end (the tests stop at a step).
  const steps = numberParam("steps");
  if (steps !== undefined) saved.config.maxSteps = steps;
  const data = saved.data === "mnist78" ? await loadMnist78(new URL("./", document.baseURI)) : await loadDataset(saved.config.id);
  if (!data) {
    localStorage.removeItem(RUN_KEY);
    return false;
  }
  ui.dataKind.value = saved.data;
  ui.recipe.value = saved.config.recipe;
  await openRun(saved, data);
  return true;
}

async function save(ema: boolean): Promise<void> {
  const previous = state;
  setState("loading");
  try {
    const saved = await call({ type: "save", ema }, "saved");
    const links = [
      ["generator.safetensors", new Blob([saved.weights as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" })],
      ["manifest.json", new Blob([`${JSON.stringify(saved.manifest, null, 2)}\n`], { type: "application/json" })],
      ["config.json", new Blob([`${JSON.stringify(saved.config, null, 2)}\n`], { type: "application/json" })],
    ] as const;
    for (const a of ui.saved.querySelectorAll("a")) URL.revokeObjectURL(a.href);
    ui.saved.textContent = `${ema ? "The EMA generator" : "The generator"} at step ${saved.manifest.source.step}: `;
    for (const [name, blob] of links) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.textContent = name;
      a.dataset.file = name;
      ui.saved.append(a);
    }
    ui.saved.append(
      document.createTextNode(
        "Put the three files in one folder: `gan sample --checkpoint FOLDER/generator.safetensors` draws from it, and the viewer loads the folder copied next to its page as ?model=FOLDER/.",
      ),
    );
    ui.saved.dataset.sha256 = saved.manifest.weights.sha256;
  } finally {
    setState(previous);
  }
}

function wire(): void {
  for (const name of RECIPE_NAMES) ui.recipe.add(new Option(name, name));
  ui.recipe.value = params.get("recipe") && (RECIPE_NAMES as string[]).includes(params.get("recipe")!) ? params.get("recipe")! : "fast";
  const describeRecipe = () => {
    const r = recipes[ui.recipe.value as RecipeName];
    ui.recipeInfo.textContent = `${r.description} (width ${params.get("width") ?? r.model.width}, batch ${params.get("batch") ?? r.batchSize})`;
  };
  describeRecipe();
  ui.recipe.addEventListener("change", describeRecipe);
  ui.dataKind.addEventListener("change", () => {
    ui.filePickers.hidden = ui.dataKind.value !== "files";
  });
  ui.files.addEventListener("change", () => void onFiles(ui.files.files).catch(fail));
  ui.folder.addEventListener("change", () => void onFiles(ui.folder.files).catch(fail));
  // Drag and drop anywhere on the page (not only on the zone, so that a missed drop does not open the file).
  document.addEventListener("dragover", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    ui.dropZone.classList.add("over");
  });
  document.addEventListener("dragleave", (e) => {
    if (e.relatedTarget === null) ui.dropZone.classList.remove("over");
  });
  document.addEventListener("drop", (e) => {
    ui.dropZone.classList.remove("over");
    if (!e.dataTransfer) return;
    e.preventDefault();
    void onDrop(e.dataTransfer).catch(fail);
  });
  ui.start.addEventListener("click", () => void startNewRun().catch(fail));
  ui.pause.addEventListener("click", () => {
    ui.pause.disabled = true;
    send({ type: "pause" });
  });
  ui.resume.addEventListener("click", () => {
    if (!started) begin();
    else send({ type: "resume" });
  });
  ui.discard.addEventListener("click", () => {
    setState("loading");
    void closeRun(true)
      .then(() => {
        ui.runInfo.textContent = "The run and its checkpoints are deleted.";
        setState("idle");
      })
      .catch(fail);
  });
  ui.save.addEventListener("click", () => void save(false).catch(fail));
  ui.saveEma.addEventListener("click", () => void save(true).catch(fail));
}

async function main(): Promise<void> {
  wire();
  const threads = numberParam("threads");
  await call({ type: "init", ...(params.get("backend") ? { backend: params.get("backend")! } : {}), ...(threads ? { threads } : {}) }, "ready");
  if (await reopen()) setState("ready");
  else {
    ui.runInfo.textContent = "No run yet: pick the data and a recipe, then start.";
    setState("idle");
  }
}

main().catch(fail);
