/**
 * The page in a real browser: Debian's Chromium, driven by playwright-core (which downloads nothing). The test
 * trains a small SAGAN with the `gan` command line, exports it with `gan export-web` into a copy of the build,
 * serves that copy with `vite preview` on 127.0.0.1 and uses the page as a person would.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM`);
  // `pnpm test` builds first (turbo); a bare `vitest run` builds here.
  if (!existsSync(join(root, "dist", "index.html"))) await build({ root, logLevel: "warn" });
  served = await mkdtemp(join(tmpdir(), "web-demo-site-"));
  work = await mkdtemp(join(tmpdir(), "web-demo-run-"));
  await cp(join(root, "dist"), served, { recursive: true });

  // A freshly trained checkpoint, exported next to the page as a second model folder.
  const made = spawnSync(process.execPath, [join(root, "scripts", "make-model.mjs"), "--work", work, "--out", join(served, "fresh")], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`make-model.mjs failed:\n${made.stdout}${made.stderr}`);
  console.log(made.stdout.trim());

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

/** The grid's 16 images as 64 × 64 grey levels (the centre of each drawn 2 × 2 pixel). */
async function gridImages(): Promise<number[][]> {
  return page.evaluate(
    ([size, scale, gap]) => {
      const canvas = document.getElementById("grid") as HTMLCanvasElement;
      const { data, width } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const cell = size * scale;
      return Array.from({ length: 16 }, (_, i) => {
        const x0 = gap + (i % 4) * (cell + gap);
        const y0 = gap + Math.floor(i / 4) * (cell + gap);
        const out: number[] = [];
        for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.push(data[((y0 + y * scale) * width + x0 + x * scale) * 4]);
        return out;
      });
    },
    [SIZE, GRID_SCALE, GAP] as const,
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

const std = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};
const meanAbsDiff = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe("web demo in Chromium", () => {
  let seed0: number[][];

  it("loads the exported checkpoint on a backend it names, and draws a grid of digits", async () => {
    await page.goto(`${baseUrl}?model=fresh/`);
    await drawn("image", 0);
    const backend = await page.$eval("#backend", (p) => ({ name: (p as HTMLElement).dataset.backend, text: p.textContent, fallback: p.classList.contains("fallback") }));
    console.log(`${backend.text}\n${await page.textContent("#status")}`);
    expect(backend.text).toMatch(/^Backend: (webgl|wasm|cpu) \(/);
    // Anything but a hardware WebGL is a fallback, and the note says why.
    if (backend.name !== "webgl") expect(backend.fallback && /a fallback: webgl /.test(backend.text ?? "")).toBe(true);
    expect(await page.textContent("#model-info")).toMatch(/^SAGAN generator \(width 4, z 20\) from run sagan-mnist78, step 2\.$/);

    seed0 = await gridImages();
    expect(new URL(page.url()).searchParams.get("seed")).toBe("0");
    // Not blank: every image has structure of its own, and the images differ from one another.
    for (const image of seed0) expect(std(image)).toBeGreaterThan(1);
    expect(meanAbsDiff(seed0[0], seed0[1])).toBeGreaterThan(0.5);
    expect(std(seed0.flat())).toBeGreaterThan(2);
  });

  it("changes with the seed, and the same seed draws the same digits", async () => {
    let v = await version("grid");
    await page.fill("#seed", "7");
    await page.dispatchEvent("#seed", "change");
    v = await drawn("grid", v);
    const seed7 = await gridImages();
    expect(meanAbsDiff(seed7.flat(), seed0.flat())).toBeGreaterThan(1);
    expect(new URL(page.url()).searchParams.get("seed")).toBe("7");

    await page.click("#new-digits");
    v = await drawn("grid", v);
    expect(Number(await page.inputValue("#seed"))).not.toBe(7);

    await page.fill("#seed", "0");
    await page.dispatchEvent("#seed", "change");
    await drawn("grid", v);
    expect(maxAbsDiff((await gridImages()).flat(), seed0.flat())).toBe(0);
  });

  it("walks the latent space from A to B with the slider", async () => {
    await drawn("image", 0);
    const grid = await gridImages();
    const atA = await inspected();
    // The inspector draws A = image 0 (alone, where the grid drew it in a batch of 16: BatchNorm runs in eval mode).
    expect(maxAbsDiff(atA, grid[0])).toBeLessThanOrEqual(2);

    let v = await version("image");
    await page.fill("#walk", "50");
    v = await drawn("image", v);
    const halfway = await inspected();
    expect(meanAbsDiff(halfway, atA)).toBeGreaterThan(0.2);

    await page.fill("#walk", "100");
    v = await drawn("image", v);
    const atB = await inspected();
    expect(maxAbsDiff(atB, grid[1])).toBeLessThanOrEqual(2);
    expect(meanAbsDiff(halfway, atB)).toBeGreaterThan(0.2);

    // Clicking a grid image makes it A; shift-click makes it B.
    const box = (await page.locator("#grid").boundingBox())!;
    const cell = SIZE * GRID_SCALE + GAP;
    await page.mouse.click(box.x + GAP + 2 * cell + 20, box.y + GAP + cell + 20); // Image 6.
    v = await drawn("image", v);
    expect(await page.inputValue("#from")).toBe("6");
    expect(await page.inputValue("#walk")).toBe("0");
    expect(maxAbsDiff(await inspected(), grid[6])).toBeLessThanOrEqual(2);
    await page.keyboard.down("Shift");
    await page.mouse.click(box.x + GAP + 3 * cell + 20, box.y + GAP + 3 * cell + 20); // Image 15.
    await page.keyboard.up("Shift");
    await drawn("image", v);
    expect(await page.inputValue("#to")).toBe("15");
  });

  it("overlays the attention map of a clicked pixel", async () => {
    expect((await overlayCoverage()).painted).toBe(0);
    const box = (await page.locator("#overlay").boundingBox())!;
    let v = await version("overlay");
    await page.mouse.click(box.x + (40 + 0.5) * INSPECT_SCALE, box.y + (24 + 0.5) * INSPECT_SCALE);
    v = await drawn("overlay", v);
    expect(await page.textContent("#attention-info")).toMatch(
      /^Pixel \(40, 24\) is cell \(20, 12\) of the 32×32 attention after layer 4: it attends most to cell \(\d+, \d+\) with weight 0\.\d{4} \(uniform: 0\.0010\)\.$/,
    );
    const fine = await overlayCoverage();
    expect(fine.painted).toBeGreaterThan(0.2 * 320 * 320); // The heat map covers the image.
    expect(fine.opaque).toBeGreaterThan(0); // Its strongest cells stand out.

    await page.selectOption("#layer", "0");
    v = await drawn("overlay", v);
    expect(await page.textContent("#attention-info")).toMatch(/^Pixel \(40, 24\) is cell \(10, 6\) of the 16×16 attention after layer 3: /);

    // The overlay follows the walk: a new image keeps the clicked pixel and redraws its map.
    await page.fill("#walk", "30");
    v = await drawn("overlay", v);
    expect((await overlayCoverage()).painted).toBeGreaterThan(0);

    await page.screenshot({ path: SCREENSHOT });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    if (process.env.UPDATE_SCREENSHOT) await copyFile(SCREENSHOT, join(root, "screenshot.png"));

    await page.click("#clear");
    await drawn("overlay", v);
    expect((await overlayCoverage()).painted).toBe(0);
  });

  it("serves the model the build ships (public/model) and falls back to the backend asked for", async () => {
    const shipped = JSON.parse(await readFile(join(root, "public", "model", "manifest.json"), "utf8"));
    await page.goto(`${baseUrl}?backend=cpu&seed=3`);
    await drawn("image", 0);
    expect(await page.$eval("#backend", (p) => (p as HTMLElement).dataset.backend)).toBe("cpu");
    expect(await page.textContent("#model-info")).toContain(`from run ${shipped.source.run}`);
    expect(await page.inputValue("#seed")).toBe("3");
    for (const image of await gridImages()) expect(std(image)).toBeGreaterThan(1);
  });

  it("says so when there is no model to load", async () => {
    await page.goto(`${baseUrl}?model=missing/`);
    await page.waitForFunction(() => document.body.dataset.state === "error");
    expect(await page.textContent("#status")).toMatch(/^Error: cannot fetch \/missing\/manifest\.json: HTTP 404/);
  });
});
