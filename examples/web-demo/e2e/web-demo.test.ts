/**
 * The page in a real browser: Debian's Chromium, driven by playwright-core (which downloads nothing), on the
 * build served by `vite preview` on 127.0.0.1. The page is used as a person would with the model the build ships
 * (public/model: the EMA generator of `gan demo`, made by scripts/ship-model.mjs); a second model, trained here in seconds with
 * the `gan` command line and exported with `gan export-web` next to the page, checks that path end to end.
 */
import { existsSync } from "node:fs";
import { copyFile, cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, CHROMIUM_FLAGS, freePort, root, runNode } from "./support";

/** Where the screenshot goes; `UPDATE_SCREENSHOT=1` also copies it to the README's screenshot.png. */
const SCREENSHOT = join(root, ".tmp", "screenshot.png");

// The page's geometry (src/main.ts): a 4 × 4 grid of 64-pixel images drawn at 2× with 8-pixel gaps, and the
// inspected image at 5×.
const SIZE = 64;
const GRID_SCALE = 2;
const GAP = 8;
const INSPECT_SCALE = 5;

let served: string;
let work: string;
let server: PreviewServer;
let browser: Browser;
let page: Page;
let baseUrl: string;
/** Every URL the page requested. */
const requests: string[] = [];

/** Runs scripts/make-model.mjs (gan prepare, gan train, gan export-web); resolves with its output. */
function makeModel(args: string[]): Promise<string> {
  return runNode(join(root, "scripts", "make-model.mjs"), args);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM`);
  // `pnpm test` builds first (turbo); a bare `vitest run` builds here.
  if (!existsSync(join(root, "dist", "index.html"))) await build({ root, logLevel: "warn" });
  served = await mkdtemp(join(tmpdir(), "web-demo-site-"));
  work = await mkdtemp(join(tmpdir(), "web-demo-run-"));
  await cp(join(root, "dist"), served, { recursive: true });

  // Checkpoints trained just now (two steps, a few seconds) and exported next to the page: a SAGAN, a DCGAN and a
  // class-conditional SAGAN (width 2) on the 7s and 8s.
  const made = await Promise.all([
    ...["sagan", "dcgan"].map((model) =>
      makeModel(["--model", model, "--work", join(work, model), "--out", join(served, `fresh-${model}`)]),
    ),
    makeModel(["--conditional", "--width", "2", "--work", join(work, "conditional"), "--out", join(served, "fresh-conditional")]),
  ]);
  console.log(made.join("\n"));

  const port = await freePort();
  server = await preview({
    root,
    logLevel: "warn",
    build: { outDir: served },
    preview: { host: "127.0.0.1", port, strictPort: true, open: false },
  });
  baseUrl = `http://127.0.0.1:${port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
  if (served) await rm(served, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

/** Waits until the page is idle, with `#id`'s drawing counter past `after` (every canvas counts its drawings). */
async function drawn(id: string, after: number): Promise<number> {
  const handle = await page.waitForFunction(
    ([id, after]) => {
      const state = document.body.dataset.state;
      if (state === "error") return `error: ${document.getElementById("status")?.textContent}`;
      const version = Number(document.getElementById(id as string)?.dataset.version);
      return state === "ready" && version > (after as number) ? version : false;
    },
    [id, after] as const,
    { timeout: 45_000 },
  );
  const v = await handle.jsonValue();
  if (typeof v === "string") throw new Error(`the page failed: ${v}`);
  return v as number;
}

const version = (id: string) => page.$eval(`#${id}`, (c) => Number((c as HTMLElement).dataset.version));

/** The grid's images (16 in 4 columns unless told) as 64 × 64 grey levels (the centre of each drawn 2 × 2 pixel). */
async function gridImages(count = 16, columns = 4): Promise<number[][]> {
  return page.evaluate(
    ([size, scale, gap, count, columns]) => {
      const canvas = document.getElementById("grid") as HTMLCanvasElement;
      const { data, width } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const cell = size * scale;
      return Array.from({ length: count }, (_, i) => {
        const x0 = gap + (i % columns) * (cell + gap);
        const y0 = gap + Math.floor(i / columns) * (cell + gap);
        const out: number[] = [];
        for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.push(data[((y0 + y * scale) * width + x0 + x * scale) * 4]);
        return out;
      });
    },
    [SIZE, GRID_SCALE, GAP, count, columns] as const,
  );
}

/** The inspected image as 64 × 64 grey levels. */
async function inspected(): Promise<number[]> {
  return page.evaluate(
    ([size, scale]) => {
      const canvas = document.getElementById("image") as HTMLCanvasElement;
      const { data, width } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const out: number[] = [];
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.push(data[((y * scale + 2) * width + x * scale + 2) * 4]);
      return out;
    },
    [SIZE, INSPECT_SCALE] as const,
  );
}

/** Pixels of the overlay canvas that are not transparent, and their count. */
async function overlayCoverage(): Promise<{ painted: number; opaque: number }> {
  return page.$eval("#overlay", (c) => {
    const canvas = c as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    let opaque = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] > 0) painted++;
      if (data[i] > 200) opaque++;
    }
    return { painted, opaque };
  });
}

/** Two training steps leave a generator's images a nearly flat grey: checks only that the grid was drawn. */
function expectGrey(images: number[][]): void {
  for (const image of images) {
    const mean = image.reduce((a, b) => a + b, 0) / image.length;
    expect(mean).toBeGreaterThan(50);
    expect(mean).toBeLessThan(200);
  }
}

const std = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};
/** Fraction of the pixels that differ. */
const changed = (a: number[], b: number[]) => a.filter((v, i) => v !== b[i]).length / a.length;
/** Largest difference outside the top-left 8 × 8 pixels, where the grid marks A and B. */
const maxAbsDiff = (a: number[], b: number[]) =>
  a.reduce((m, v, i) => (i % SIZE < 8 && Math.floor(i / SIZE) < 8 ? m : Math.max(m, Math.abs(v - b[i]))), 0);
/**
 * Not blank: the image was drawn (a canvas reads 0 where nothing was drawn, the page's background is white) and
 * has structure. A barely trained generator draws low-contrast images, so the bar is low but above rounding.
 */
function expectDrawn(image: number[]): void {
  const mean = image.reduce((a, b) => a + b, 0) / image.length;
  expect(mean).toBeGreaterThan(2);
  expect(mean).toBeLessThan(253);
  expect(std(image)).toBeGreaterThan(0.3);
  expect(new Set(image).size).toBeGreaterThanOrEqual(3);
}

describe("web demo in Chromium", () => {
  let seed0: number[][];

  it("loads the model it ships on a backend it names, and draws a grid of digits", async () => {
    const shipped = JSON.parse(await readFile(join(root, "public", "model", "manifest.json"), "utf8"));
    await page.goto(baseUrl);
    await drawn("image", 0);
    const backend = await page.$eval("#backend", (p) => ({
      name: (p as HTMLElement).dataset.backend,
      text: p.textContent ?? "",
      fallback: p.classList.contains("fallback"),
    }));
    console.log(`${backend.text}\n${await page.textContent("#status")}`);
    expect(backend.text).toMatch(/^Backend: (webgl|wasm|cpu) \(/);
    // Anything but WebGL on a GPU is a fallback, and the note says why.
    if (backend.name !== "webgl") expect(backend.fallback && /a fallback: webgl /.test(backend.text)).toBe(true);
    expect(await page.textContent("#model-info")).toBe(
      `SAGAN generator (width ${shipped.model.width}, z ${shipped.model.zDim}) from run ${shipped.source.run}, step ${shipped.source.step}.`,
    );

    // An unconditional generator: no class picker, and the page does not know what it draws.
    expect(await page.isHidden("#class-picker")).toBe(true);
    expect(await page.textContent("#grid-title")).toBe("New images");
    seed0 = await gridImages();
    expect(new URL(page.url()).searchParams.get("seed")).toBe("0");
    // Not blank: every image has structure of its own, and the images differ from one another.
    for (const image of seed0) expectDrawn(image);
    expect(changed(seed0[0], seed0[1])).toBeGreaterThan(0.05);
  });

  it("changes with the seed, and the same seed draws the same digits", async () => {
    let v = await version("grid");
    await page.fill("#seed", "7");
    await page.dispatchEvent("#seed", "change");
    v = await drawn("grid", v);
    const seed7 = await gridImages();
    expect(changed(seed7.flat(), seed0.flat())).toBeGreaterThan(0.05);
    expect(new URL(page.url()).searchParams.get("seed")).toBe("7");

    await page.click("#new-digits");
    v = await drawn("grid", v);
    expect(Number(await page.inputValue("#seed"))).not.toBe(7);

    await page.fill("#seed", "0");
    await page.dispatchEvent("#seed", "change");
    await drawn("grid", v);
    expect(changed((await gridImages()).flat(), seed0.flat())).toBe(0);
  });

  it("walks the latent space from A to B with the slider", async () => {
    await drawn("image", 0);
    const grid = await gridImages();
    const atA = await inspected();
    // The inspector draws A = image 0 alone, where the grid drew it in a batch of 16 (BatchNorm in eval mode).
    expect(maxAbsDiff(atA, grid[0])).toBeLessThanOrEqual(2);

    let v = await version("image");
    await page.fill("#walk", "50");
    v = await drawn("image", v);
    const halfway = await inspected();
    expect(changed(halfway, atA)).toBeGreaterThan(0.05);

    await page.fill("#walk", "100");
    v = await drawn("image", v);
    const atB = await inspected();
    expect(maxAbsDiff(atB, grid[1])).toBeLessThanOrEqual(2);
    expect(changed(halfway, atB)).toBeGreaterThan(0.05);

    // Clicking a grid image makes it A (and restarts the walk); shift-click makes it B.
    const cell = SIZE * GRID_SCALE + GAP;
    await page.locator("#grid").click({ position: { x: GAP + 2 * cell + 20, y: GAP + cell + 20 } }); // Image 6.
    v = await drawn("image", v);
    expect(await page.inputValue("#from")).toBe("6");
    expect(await page.inputValue("#walk")).toBe("0");
    expect(maxAbsDiff(await inspected(), grid[6])).toBeLessThanOrEqual(2);
    await page.locator("#grid").click({ position: { x: GAP + 3 * cell + 20, y: GAP + 3 * cell + 20 }, modifiers: ["Shift"] }); // Image 15.
    await drawn("image", v);
    expect(await page.inputValue("#to")).toBe("15");
  });

  it("overlays the attention map of a clicked pixel", async () => {
    expect((await overlayCoverage()).painted).toBe(0);
    let v = await version("overlay");
    await page.locator("#overlay").click({ position: { x: (40 + 0.5) * INSPECT_SCALE, y: (24 + 0.5) * INSPECT_SCALE } });
    v = await drawn("overlay", v);
    // The shipped generator (the fast recipe's) has one attention block, after layer 3 at 16×16: 1/256 is uniform.
    expect(await page.$$eval("#layer option", (options) => options.length)).toBe(1);
    expect(await page.textContent("#attention-info")).toMatch(
      /^Pixel \(40, 24\) is cell \(10, 6\) of the 16×16 attention after layer 3: it attends most to cell \(\d+, \d+\) with weight 0\.\d{4} \(uniform: 0\.0039\)\.$/,
    );
    const map = await overlayCoverage();
    expect(map.painted).toBeGreaterThan(0.05 * 320 * 320); // A heat map over the image...
    expect(map.opaque).toBeGreaterThan(0); // ...whose strongest cells stand out.

    // The overlay follows the walk: a new image keeps the clicked pixel and redraws its map.
    await page.fill("#walk", "40");
    v = await drawn("overlay", v);
    expect((await overlayCoverage()).painted).toBeGreaterThan(0);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    if (process.env.UPDATE_SCREENSHOT) await copyFile(SCREENSHOT, join(root, "screenshot.png"));

    await page.click("#clear");
    await drawn("overlay", v);
    expect((await overlayCoverage()).painted).toBe(0);
  });

  it("loads a SAGAN just trained and exported by the gan command line, on the wasm backend asked for", async () => {
    await page.goto(`${baseUrl}?model=fresh-sagan/&backend=wasm&seed=3`);
    await drawn("image", 0);
    expect(await page.$eval("#backend", (p) => p.textContent)).toMatch(/^Backend: wasm \(WebAssembly( SIMD)?, \d+ threads?\)\.$/);
    expect(await page.textContent("#model-info")).toBe("SAGAN generator (width 4, z 20) from run sagan-mnist78, step 2.");
    expect(await page.inputValue("#seed")).toBe("3");
    expectGrey(await gridImages());
    await page.locator("#overlay").click({ position: { x: 100, y: 100 } });
    expect(await page.textContent("#attention-info")).toMatch(/^Pixel \(20, 20\) is cell \(10, 10\) of the 32×32 attention/);
  });

  it("loads a DCGAN, which has no attention to show, on the backend asked for", async () => {
    await page.goto(`${baseUrl}?model=fresh-dcgan/&backend=cpu`);
    await drawn("image", 0);
    expect(await page.$eval("#backend", (p) => p.textContent)).toBe("Backend: cpu (plain JavaScript).");
    expect(await page.textContent("#model-info")).toBe("DCGAN generator (width 4, z 20) from run dcgan-mnist78, step 2.");
    expectGrey(await gridImages());
    expect(await page.textContent("#attention-info")).toBe("A DCGAN generator has no attention maps.");
    expect(await page.$eval("#layer", (s) => (s as HTMLSelectElement).disabled)).toBe(true);
    await page.locator("#overlay").click({ position: { x: 100, y: 100 } });
    expect((await overlayCoverage()).painted).toBe(0);
  });

  it("shows a class picker for a conditional generator: one row per class, or 16 images of the class picked", async () => {
    await page.goto(`${baseUrl}?model=fresh-conditional/&backend=wasm`);
    await drawn("image", 0);
    expect(await page.textContent("#model-info")).toBe("SAGAN generator (width 2, z 20, 2 classes: 7, 8) from run sagan-mnist78-conditional, step 2.");
    expect(await page.isVisible("#class-picker")).toBe(true);
    const options = await page.$$eval("#class option", (os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
    expect(options).toEqual([
      ["all", "all classes: one row per class"],
      ["marginal", "as in the data: classes in their share"],
      ["0", "7"],
      ["1", "8"],
    ]);
    // The default: one row of 4 per class (class folders 7 and 8 are labels 0 and 1), words from the class names.
    expect(await page.inputValue("#class")).toBe("all");
    expect(await page.textContent("#grid-title")).toBe("New digits: one row per class");
    expect(await page.textContent("#grid-caption")).toBe("Rows: 7, 8.");
    expect(await page.textContent("#new-digits")).toBe("New digits");
    const grid = () => page.$eval("#grid", (c) => ({ labels: (c as HTMLElement).dataset.labels, width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height }));
    expect(await grid()).toEqual({ labels: "0,0,0,0,1,1,1,1", width: 552, height: 8 + 2 * (SIZE * GRID_SCALE + GAP) });
    expectGrey(await gridImages(8));
    expect(await page.$eval("#image", (c) => (c as HTMLElement).dataset.label)).toBe("0"); // A is a 7

    // Class 8 picked: 16 of them, in the address too; the walk draws them.
    let v = await version("grid");
    await page.selectOption("#class", "1");
    v = await drawn("grid", v);
    expect(await grid()).toEqual({ labels: Array(16).fill(1).join(","), width: 552, height: 552 });
    expect(await page.textContent("#grid-title")).toBe("New digits of class 8");
    expect(new URL(page.url()).searchParams.get("class")).toBe("8");
    expectGrey(await gridImages());
    await drawn("image", 0);
    expect(await page.$eval("#image", (c) => (c as HTMLElement).dataset.label)).toBe("1");

    // As in the data (8 images of each class): 8 of each, in label order, as gan sample --n 16 --marginal.
    await page.selectOption("#class", "marginal");
    v = await drawn("grid", v);
    expect(await grid()).toEqual({ labels: [...Array(8).fill(0), ...Array(8).fill(1)].join(","), width: 552, height: 552 });
    expect(await page.textContent("#grid-title")).toBe("New digits: the classes in their share of the training images");
    expect(new URL(page.url()).searchParams.get("class")).toBe("marginal");
    expectGrey(await gridImages());

    // The address picks the class by its name.
    await page.goto(`${baseUrl}?model=fresh-conditional/&backend=wasm&class=7&seed=2`);
    await drawn("image", 0);
    expect(await page.inputValue("#class")).toBe("0");
    expect((await grid()).labels).toBe(Array(16).fill(0).join(","));
  });

  it("loaded everything from the page's own server (no CDN)", () => {
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((url) => !url.startsWith(baseUrl) && !/^(data|blob):/.test(url))).toEqual([]);
    // The wasm backend's binary (asked for above) came from the build too.
    expect(requests.some((url) => /assets\/tfjs-backend-wasm[\w-]*\.wasm$/.test(url))).toBe(true);
  });

  it("says so when there is no model to load", async () => {
    await page.goto(`${baseUrl}?model=missing/`);
    await page.waitForFunction(() => document.body.dataset.state === "error");
    expect(await page.textContent("#status")).toMatch(/^Error: cannot fetch \/missing\/manifest\.json: HTTP 404/);
  });
});
