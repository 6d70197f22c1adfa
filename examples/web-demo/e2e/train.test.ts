/**
 * The Train page in Debian's Chromium (playwright-core), on the build served by `vite preview` on 127.0.0.1: the fast
 * recipe at width 2 trains a few steps on the wasm backend in a Web Worker, a reloaded page continues the run from
 * its IndexedDB checkpoint to the same weights as an unbroken run, the saved generator loads in `gan sample`, and a
 * folder of the user's images with one broken file trains on the others.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os, { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { decodeSafetensors } from "@gan/layers";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, CHROMIUM_FLAGS, freePort, root, runNode } from "./support";

const gan = join(dirname(createRequire(import.meta.url).resolve("@gan/cli/package.json")), "dist", "bin.js");
/** A tiny run: the fast recipe at width 4, batch 8. */
const TINY = "backend=wasm&width=4&batch=8";

let served: string;
let work: string;
let server: PreviewServer;
let browser: Browser;
let baseUrl: string;
/** The second, not isolated, server's address (the test that starts it). */
let plainUrl: string | undefined;
const requests: string[] = [];

function ganCommand(...args: string[]): Promise<string> {
  return runNode(gan, args);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM`);
  if (!existsSync(join(root, "dist", "train.html"))) await build({ root, logLevel: "warn" });
  served = await mkdtemp(join(tmpdir(), "web-demo-train-site-"));
  work = await mkdtemp(join(tmpdir(), "web-demo-train-run-"));
  await cp(join(root, "dist"), served, { recursive: true });
  const port = await freePort();
  server = await preview({ root, logLevel: "warn", build: { outDir: served }, preview: { host: "127.0.0.1", port, strictPort: true, open: false } });
  baseUrl = `http://127.0.0.1:${port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
  if (served) await rm(served, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

async function newPage(context?: BrowserContext): Promise<{ context: BrowserContext; page: Page }> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true }));
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") console.error(`console: ${m.text()}`);
  });
  page.on("request", (r) => requests.push(r.url()));
  return { context: ctx, page };
}

/** Waits for the page's state (body[data-state]) to be one of `states`; fails on "error". */
async function waitState(page: Page, states: string[], timeout = 120_000): Promise<string> {
  const handle = await page.waitForFunction(
    (states) => {
      const s = document.body.dataset.state ?? "";
      if (s === "error") return `error: ${document.getElementById("status")?.textContent}`;
      return states.includes(s) ? s : false;
    },
    states,
    { timeout },
  );
  const v = (await handle.jsonValue()) as string;
  if (v.startsWith("error")) throw new Error(`the page failed: ${v}`);
  return v;
}

/** The sample grid (`samples` or `samples-ema`) as grey levels of its 16 images, when drawn from step `step`. */
async function gridAt(page: Page, id: string, step: number): Promise<number[]> {
  const handle = await page.waitForFunction(
    ([id, step]) => {
      const canvas = document.getElementById(id as string) as HTMLCanvasElement;
      if (document.body.dataset.state === "error") return "error";
      if (canvas.dataset.step !== String(step)) return false;
      const { data, width } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const out: number[] = [];
      for (let i = 0; i < 16; i++) {
        const x0 = 8 + (i % 4) * 72;
        const y0 = 8 + Math.floor(i / 4) * 72;
        for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) out.push(data[((y0 + y) * width + x0 + x) * 4]);
      }
      return out;
    },
    [id, step] as const,
    { timeout: 120_000, polling: 10 },
  );
  const v = await handle.jsonValue();
  if (v === "error") throw new Error(`the page failed: ${await page.textContent("#status")}`);
  return v as number[];
}

/** The BatchNorm running statistics in a saved generator, by name (read with `@gan/layers`, on tfjs's cpu backend). */
function runningStats(bytes: Buffer): Record<string, Float32Array> {
  const { tensors } = decodeSafetensors(bytes, "generator.safetensors");
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(tensors)) if (/running_(mean|var)$/.test(name)) out[name] = (t.dataSync() as Float32Array).slice();
  tf.dispose(Object.values(tensors));
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

/** The saved files' text / bytes, read from the page's blob links. */
async function savedFiles(page: Page): Promise<{ manifest: Record<string, unknown>; config: Record<string, unknown>; weights: Buffer }> {
  await page.waitForSelector("#saved a[data-file='config.json']");
  const files = await page.evaluate(async () => {
    const out: Record<string, number[]> = {};
    for (const a of document.querySelectorAll<HTMLAnchorElement>("#saved a")) out[a.dataset.file!] = Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()));
    return out;
  });
  const text = (name: string) => JSON.parse(Buffer.from(files[name]).toString("utf8"));
  return { manifest: text("manifest.json"), config: text("config.json"), weights: Buffer.from(files["generator.safetensors"]) };
}

/** Writes the saved files into `work/name/` and draws 4 samples from them with `gan sample` in Node. */
async function sampleInNode(saved: Awaited<ReturnType<typeof savedFiles>>, name: string): Promise<void> {
  const folder = join(work, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "generator.safetensors"), saved.weights);
  await writeFile(join(folder, "manifest.json"), JSON.stringify(saved.manifest));
  await writeFile(join(folder, "config.json"), JSON.stringify(saved.config));
  const png = join(work, `${name}.png`);
  const out = await ganCommand("sample", "--checkpoint", join(folder, "generator.safetensors"), "--n", "4", "--out", png, "--backend", "wasm");
  expect(out).toMatch(/wrote 4 samples/);
  expect((await readFile(png)).length).toBeGreaterThan(100);
}

/**
 * Trains the tiny run 10 steps without a break in a fresh context, from the page at `base`; resolves with the saved
 * generator's SHA-256.
 */
async function trainUnbroken(base = baseUrl): Promise<string> {
  const { context, page } = await newPage();
  await page.goto(`${base}train.html?${TINY}&steps=10`);
  await waitState(page, ["idle"]);
  await page.click("#start");
  await waitState(page, ["done"]);
  await page.click("#save");
  const saved = await savedFiles(page);
  expect((saved.manifest.source as { step: number }).step).toBe(10);
  await context.close();
  return (saved.manifest.weights as { sha256: string }).sha256;
}

/** 8 PNGs of 7s and 8s (`gan prepare mnist78 --per-digit 4 --format png`) and a broken `broken.png`, made once. */
let folder: Promise<string> | undefined;
const userFolder = () => {
  folder ??= (async () => {
    const data = join(work, "mine");
    await ganCommand("prepare", "mnist78", "--per-digit", "4", "--format", "png", "--out", data);
    await writeFile(join(data, "broken.png"), "not a png");
    return data;
  })();
  return folder;
};

/** The reference the pause and reload tests compare with: computed once, by whichever test runs first (any order, or alone). */
let unbroken: Promise<string> | undefined;
const unbrokenSha = () => {
  unbroken ??= trainUnbroken();
  return unbroken;
};

describe("the Train page in Chromium", () => {

  it("picks the best backend for training, WebGPU → WebGL → wasm, and says why (here: software WebGL, so wasm)", async () => {
    const { context, page } = await newPage();
    await page.goto(`${baseUrl}train.html`);
    await waitState(page, ["idle"]);
    const backend = await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend);
    const why = (await page.textContent("#backend-why")) ?? "";
    console.log(`${await page.textContent("#backend")}\n${why}`);
    // Debian's headless Chromium with --disable-gpu has no WebGPU adapter, and its WebGL is SwiftShader (or none).
    expect(backend).toBe("wasm");
    expect(why).toMatch(/^Why wasm: the first of webgpu → webgl → wasm → cpu that works here; passed over: webgpu: .+; webgl: /);
    expect(why).toMatch(/webgl: (renders in software \(.*(SwiftShader|llvmpipe).*\), slower than wasm|could not be initialised|.*WebGL)/i);
    // The preview server sends COOP/COEP (vite.config.ts), so the page and its worker are cross-origin isolated and
    // wasm runs its threaded build: one XNNPACK thread per logical CPU (at most 8), not tfjs's default of half.
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const cpus = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(cpus, 8);
    expect(await page.textContent("#backend")).toMatch(
      new RegExp(`^Backend: wasm \\(tfjs 4\\.22\\.0, SIMD, ${threads} threads?, training kernels\\)`),
    );
    // ?threads=1 asks for one.
    await page.goto(`${baseUrl}train.html?threads=1`);
    await waitState(page, ["idle"]);
    expect(await page.textContent("#backend")).toMatch(/^Backend: wasm \(tfjs 4\.22\.0, SIMD, 1 thread, training kernels\)/);
    // ?backend= still forces one.
    await page.goto(`${baseUrl}train.html?backend=cpu`);
    await waitState(page, ["idle"]);
    expect(await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend)).toBe("cpu");
    expect(await page.textContent("#backend-why")).toBe("Why cpu: asked for in the address (?backend=cpu).");
    await context.close();
  });

  // Ten steps: the generator's grid (BatchNorm in eval mode) is flat at first, as in every run, and has structure after 10.
  it("trains 10 steps of the fast recipe (width 4) on wasm in a Web Worker: finite losses, a grid that changes", async () => {
    const { context, page } = await newPage();
    await page.goto(`${baseUrl}train.html?${TINY}&steps=10`);
    await waitState(page, ["idle"]);
    expect(await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend)).toBe("wasm");
    expect(await page.inputValue("#recipe")).toBe("fast");
    await page.click("#start");
    const before = await gridAt(page, "samples", 0);
    // Pause after a step or two: training waits (a checkpoint written), then Resume carries on.
    await page.waitForFunction(() => Number(document.getElementById("train-status")?.dataset.step ?? 0) >= 2);
    await page.click("#pause");
    await waitState(page, ["paused"]);
    const pausedAt = await page.$eval("#train-status", (p) => Number((p as HTMLElement).dataset.step));
    expect(pausedAt).toBeLessThan(10);
    await page.waitForTimeout(700);
    expect(await page.$eval("#train-status", (p) => Number((p as HTMLElement).dataset.step))).toBe(pausedAt);
    expect(await page.textContent("#train-status")).toMatch(/paused \(checkpoint saved\)$/);
    await page.click("#resume");
    await waitState(page, ["done"]);
    const status = await page.$eval("#train-status", (p) => ({ step: (p as HTMLElement).dataset.step, speed: Number((p as HTMLElement).dataset.stepsPerSecond), text: p.textContent }));
    console.log(`${await page.textContent("#backend")}\n${status.text}`);
    expect(status.step).toBe("10");
    expect(await page.$eval("#losses", (c) => [(c as HTMLElement).dataset.steps, (c as HTMLElement).dataset.finite])).toEqual(["10", "true"]);
    const after = await gridAt(page, "samples", 10);
    const ema = await gridAt(page, "samples-ema", 10);
    console.log([before, after, ema].map((g) => `mean ${mean(g).toFixed(1)} std ${std(g).toFixed(2)}`).join("; "));
    for (const grid of [before, after, ema]) {
      expect(mean(grid)).toBeGreaterThan(2);
      expect(mean(grid)).toBeLessThan(253);
      expect(std(grid)).toBeGreaterThan(0.3);
    }
    expect(after.filter((v, i) => v !== before[i]).length / after.length).toBeGreaterThan(0.05);

    await page.click("#save");
    const saved = await savedFiles(page);
    expect((saved.manifest.source as { step: number }).step).toBe(10);
    // Pausing (a checkpoint written) changes nothing: the weights are the unbroken run's.
    expect((saved.manifest.weights as { sha256: string }).sha256).toBe(await unbrokenSha());
    // The saved folder loads in Node: gan sample draws from it.
    await sampleInNode(saved, "saved");
    await context.close();
  });

  it("continues a run reloaded mid-run from its IndexedDB checkpoint, to the weights of an unbroken run", async () => {
    const { context, page } = await newPage();
    // A checkpoint every 3 steps; the page is reloaded while it trains, after step 4.
    await page.goto(`${baseUrl}train.html?${TINY}&steps=10&checkpoint-steps=3`);
    await waitState(page, ["idle"]);
    await page.click("#start");
    await page.waitForFunction(() => Number(document.getElementById("train-status")?.dataset.step ?? 0) >= 4);
    await page.goto(`${baseUrl}train.html?${TINY}&steps=10`);
    await waitState(page, ["ready"]);
    // Reopened at its latest checkpoint (step 3, 6 or 9, wherever training was when the page went); Continue trains to 10.
    expect(await page.textContent("#run-info")).toMatch(/continued from its checkpoint at step [369] /);
    expect(await page.textContent("#resume")).toBe("Continue the run");
    await page.click("#resume");
    await waitState(page, ["done"]);
    expect(await page.$eval("#train-status", (p) => (p as HTMLElement).dataset.step)).toBe("10");
    await page.click("#save");
    const saved = await savedFiles(page);
    expect((saved.manifest.weights as { sha256: string }).sha256).toBe(await unbrokenSha());
    await context.close();
  });

  it("trains on a folder of the user's images, naming the file it cannot read", async () => {
    const data = await userFolder();
    const { context, page } = await newPage();
    await page.goto(`${baseUrl}train.html?${TINY}&steps=2`);
    await waitState(page, ["idle"]);
    await page.selectOption("#data-kind", "files");
    await page.setInputFiles("#folder", data);
    await page.waitForFunction(() => document.getElementById("data-info")?.dataset.images !== undefined);
    expect(await page.textContent("#data-info")).toBe("8 images, grey, drawn at 64 × 64. Skipped 1: mine/broken.png (cannot be decoded as an image).");
    await page.click("#start");
    await waitState(page, ["done"]);
    expect(await page.textContent("#run-info")).toMatch(/on 8 images of yours, new\./);
    expect(await page.$eval("#losses", (c) => [(c as HTMLElement).dataset.steps, (c as HTMLElement).dataset.finite])).toEqual(["2", "true"]);
    await context.close();
  });

  // A real drag from the desktop cannot be scripted in headless Chromium: this drop event carries fake
  // FileSystemEntry objects (as DataTransferItem.webkitGetAsEntry() gives) over real File objects of the PNGs.
  it("trains on a folder dropped on the page: sub-folders become classes, the broken file is named", async () => {
    const data = await userFolder();
    const good = (await readdir(data)).filter((n) => n.endsWith(".png") && n !== "broken.png").sort();
    const files = [
      ...good.map((n, i) => ({ path: `${i < good.length / 2 ? "a" : "b"}/${n}`, name: n })),
      { path: "b/broken.png", name: "broken.png" },
    ];
    const tree = await Promise.all(files.map(async ({ path, name }) => ({ path, bytes: (await readFile(join(data, name))).toString("base64") })));
    const { context, page } = await newPage();
    await page.goto(`${baseUrl}train.html?${TINY}&steps=2`);
    await waitState(page, ["idle"]);
    await page.evaluate((tree) => {
      type Node = { name: string; fullPath: string; children?: Node[]; file?: File };
      const root: Node = { name: "dropped", fullPath: "/dropped", children: [] };
      for (const { path, bytes } of tree) {
        let dir = root;
        const parts = path.split("/");
        for (const part of parts.slice(0, -1)) {
          let sub = dir.children!.find((c) => c.name === part);
          if (!sub) {
            sub = { name: part, fullPath: `${dir.fullPath}/${part}`, children: [] };
            dir.children!.push(sub);
          }
          dir = sub;
        }
        const name = parts[parts.length - 1];
        const file = new File([Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))], name, { type: "image/png" });
        dir.children!.push({ name, fullPath: `${dir.fullPath}/${name}`, file });
      }
      const entry = (node: Node): unknown =>
        node.file
          ? { isFile: true, isDirectory: false, name: node.name, fullPath: node.fullPath, file: (ok: (f: File) => void) => setTimeout(() => ok(node.file!)) }
          : {
              isFile: false,
              isDirectory: true,
              name: node.name,
              fullPath: node.fullPath,
              createReader: () => {
                let done = false;
                return {
                  readEntries: (ok: (entries: unknown[]) => void) =>
                    setTimeout(() => {
                      ok(done ? [] : node.children!.map(entry));
                      done = true;
                    }),
                };
              },
            };
      const transfer = { types: ["Files"], files: [], items: [{ kind: "file", webkitGetAsEntry: () => entry(root) }] };
      const drop = new Event("drop", { bubbles: true, cancelable: true });
      Object.defineProperty(drop, "dataTransfer", { value: transfer });
      document.getElementById("drop-zone")!.dispatchEvent(drop);
    }, tree);
    await page.waitForFunction(() => document.getElementById("data-info")?.dataset.images !== undefined);
    expect(await page.inputValue("#data-kind")).toBe("files");
    expect(await page.textContent("#data-info")).toBe(
      "8 images, grey, drawn at 64 × 64, classes a, b. Skipped 1: dropped/b/broken.png (cannot be decoded as an image).",
    );
    await page.click("#start");
    await waitState(page, ["done"]);
    expect(await page.textContent("#run-info")).toMatch(/on 8 images of yours, new\./);
    expect(await page.$eval("#losses", (c) => [(c as HTMLElement).dataset.steps, (c as HTMLElement).dataset.finite])).toEqual(["2", "true"]);
    await context.close();
  });

  it("trains on one thread where the host sends no cross-origin isolation headers, to the same weights", async () => {
    // A second server for the same build whose headers turn isolation off, as a host without COOP/COEP would.
    const port = await freePort();
    const plain = await preview({
      root,
      logLevel: "warn",
      build: { outDir: served },
      preview: {
        host: "127.0.0.1",
        port,
        strictPort: true,
        open: false,
        headers: { "Cross-Origin-Opener-Policy": "unsafe-none", "Cross-Origin-Embedder-Policy": "unsafe-none" },
      },
    });
    try {
      plainUrl = `http://127.0.0.1:${port}/`;
      const { context, page } = await newPage();
      await page.goto(`${plainUrl}train.html?${TINY}`);
      await waitState(page, ["idle"]);
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
      expect(await page.textContent("#backend")).toMatch(/^Backend: wasm \(tfjs 4\.22\.0, SIMD, 1 thread, training kernels\)/);
      await context.close();
      // tfjs's plain SIMD build on one thread computes the bits its threaded build computes on several.
      expect(await trainUnbroken(plainUrl)).toBe(await unbrokenSha());
    } finally {
      await new Promise<void>((resolve) => plain.httpServer.close(() => resolve()));
    }
  });

  // Chromium offers WebGPU without a GPU when asked (--enable-unsafe-webgpu): a SwiftShader adapter that computes on the
  // CPU. The page passes it over, and trains on it when it is asked for: the fast recipe at width 2, two steps
  // (about 100 s in software: shaders compile, and the EMA's grid measures standing statistics).
  it("passes over WebGPU in software, and trains on it when asked (?backend=webgpu): finite losses, a saved generator", async () => {
    const gpuBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, "--enable-unsafe-webgpu"] });
    try {
      const errors: string[] = [];
      const { context, page } = await newPage(await gpuBrowser.newContext({ acceptDownloads: true }));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await page.goto(`${baseUrl}train.html`);
      await waitState(page, ["idle"]);
      expect(await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend)).toBe("wasm");
      expect(await page.textContent("#backend-why")).toMatch(/passed over: webgpu: renders in software \(google swiftshader\), slower than wasm;/);

      // The same run on WebGPU and on wasm (the same seed, data order and noise), compared below.
      const run = "recipe=fast&width=2&batch=4&steps=2";
      await page.goto(`${baseUrl}train.html?backend=webgpu&${run}`);
      await waitState(page, ["idle"]);
      expect(await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend)).toBe("webgpu");
      expect(await page.textContent("#backend")).toMatch(/^Backend: webgpu \(tfjs 4\.22\.0\), google swiftshader/);
      await page.click("#start");
      await waitState(page, ["done"], 300_000);
      expect(await page.$eval("#losses", (c) => [(c as HTMLElement).dataset.steps, (c as HTMLElement).dataset.finite])).toEqual(["2", "true"]);
      // Checkpoints and the saved file download the weights asynchronously: WebGPU's synchronous download goes
      // through a canvas, which this software adapter cannot make (the device was lost at the first checkpoint).
      await page.click("#save");
      const saved = await savedFiles(page);
      expect((saved.manifest.source as { step: number }).step).toBe(2);
      await sampleInNode(saved, "saved-webgpu");

      const { context: wasmContext, page: wasmPage } = await newPage();
      await wasmPage.goto(`${baseUrl}train.html?backend=wasm&${run}`);
      await waitState(wasmPage, ["idle"]);
      await wasmPage.click("#start");
      await waitState(wasmPage, ["done"]);
      await wasmPage.click("#save");
      const onWasm = runningStats((await savedFiles(wasmPage)).weights);
      const onWebgpu = runningStats(saved.weights);
      expect(Object.keys(onWebgpu)).toEqual(Object.keys(onWasm));
      // The generator's BatchNorm running statistics, which its forward passes write, agree to what Adam's rounding
      // allows: its first steps move a weight by about ±lr (1.2e-3 here) whatever the gradient's size, so a gradient
      // near zero can take the other sign on the other backend (1.8e-4 measured). A save racing the EMA's grid, which
      // swaps the averaged weights in for a moment, left the EMA's statistics here (differences of 0.5).
      let worst = 0;
      for (const [name, values] of Object.entries(onWasm)) {
        for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - onWebgpu[name][i]));
      }
      console.log(`WebGPU (SwiftShader) against wasm after 2 steps of the fast recipe: running statistics differ by at most ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-3);
      await wasmContext.close();
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await gpuBrowser.close();
    }
  }, 400_000);

  it("loaded everything from the page's own server", () => {
    expect(requests.length).toBeGreaterThan(5);
    const local = (url: string) => url.startsWith(baseUrl) || (plainUrl !== undefined && url.startsWith(plainUrl));
    expect(requests.filter((url) => !local(url) && !/^(data|blob):/.test(url))).toEqual([]);
  });
});

/**
 * Not part of the test run: `pnpm train-screenshot` (TRAIN_SCREENSHOT=1) trains the fast recipe as the page
 * offers it (width 16, batch 32, MNIST 7/8) on wasm for TRAIN_SCREENSHOT_STEPS steps (300), saves the page as
 * train-screenshot.png (the README's), and measures steps per second on wasm (threads as the page picks them, then one) and, a few steps, on WebGL.
 */
describe.runIf(process.env.TRAIN_SCREENSHOT)("measure: the fast recipe's speed, and the README's screenshot", () => {
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(" ");

  /** Trains `query` until done; resolves with steps/s between step `from` and the end, measured in the page. */
  async function timedRun(page: Page, query: string, steps: number, from: number): Promise<{ rate: number; shown: number; loads: string[] }> {
    await page.goto(`${baseUrl}train.html?${query}&steps=${steps}`);
    await waitState(page, ["idle"]);
    console.log(`${await page.textContent("#backend")}\n${await page.textContent("#backend-why")}`);
    const loads = [load()];
    await page.click("#start");
    await page.waitForFunction((from) => Number(document.getElementById("train-status")?.dataset.step ?? 0) >= from, from, { timeout: 1_800_000 });
    const t0 = Date.now();
    const s0 = await page.$eval("#train-status", (p) => Number((p as HTMLElement).dataset.step));
    await waitState(page, ["done"], 3_600_000);
    const rate = (steps - s0) / ((Date.now() - t0) / 1000);
    loads.push(load());
    const shown = await page.$eval("#train-status", (p) => Number((p as HTMLElement).dataset.stepsPerSecond));
    return { rate, shown, loads };
  }

  it("trains the fast recipe on wasm for a few hundred steps and saves the screenshot", async () => {
    const steps = Number(process.env.TRAIN_SCREENSHOT_STEPS ?? 300);
    const { context, page } = await newPage();
    const { rate, shown, loads } = await timedRun(page, "backend=wasm", steps, 5);
    console.log(`wasm: steps 5–${steps} at ${rate.toFixed(2)} steps/s (page: ${shown.toFixed(2)}), load average (1, 5, 15 min) ${loads.join(" → ")}`);
    await gridAt(page, "samples", steps);
    await gridAt(page, "samples-ema", steps);
    await page.screenshot({ path: join(root, "train-screenshot.png"), fullPage: true });
    await context.close();
  }, 3_600_000);

  it("trains the fast recipe on wasm with one thread (?threads=1), for the speed table", async () => {
    const steps = Number(process.env.TRAIN_SCREENSHOT_STEPS ?? 300);
    const { context, page } = await newPage();
    const { rate, shown, loads } = await timedRun(page, "backend=wasm&threads=1", steps, 5);
    console.log(`wasm, 1 thread: steps 5–${steps} at ${rate.toFixed(2)} steps/s (page: ${shown.toFixed(2)}), load average (1, 5, 15 min) ${loads.join(" → ")}`);
    await context.close();
  }, 3_600_000);

  it("trains a few steps of the fast recipe on WebGL (software here)", async () => {
    const steps = Number(process.env.TRAIN_WEBGL_STEPS ?? 6);
    const { context, page } = await newPage();
    const { rate, shown, loads } = await timedRun(page, "backend=webgl", steps, 1);
    console.log(`webgl: steps 1–${steps} at ${rate.toFixed(3)} steps/s (page: ${shown.toFixed(3)}), load average ${loads.join(" → ")}`);
    await context.close();
  }, 3_600_000);
});
