/**
 * Trains in a real browser from the built packages: the page (src/page/train-page.ts) is bundled with esbuild
 * for the browser from the packages' main entries, served from 127.0.0.1 with tfjs's wasm binaries, and run in
 * Debian's Chromium (playwright-core, which downloads nothing).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageResult } from "./page/train-page";

const here = fileURLToPath(new URL(".", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

let site: string;
let server: Server;
let browser: Browser;
let baseUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM`);
  site = await mkdtemp(join(tmpdir(), "browser-check-"));
  await build({
    entryPoints: [join(here, "page", "train-page.ts")],
    outfile: join(site, "train-page.js"),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    logLevel: "warning",
  });
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")), "..", "wasm-out");
  for (const f of (await readdir(wasmDir)).filter((f) => f.endsWith(".wasm"))) await copyFile(join(wasmDir, f), join(site, f));
  await writeFile(join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>train</title><script type="module" src="./train-page.js"></script>\n');
  server = createServer(async (req, res) => {
    const file = join(site, new URL(req.url ?? "/", "http://x").pathname.replace(/^\/$/, "/index.html"));
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${address.port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (site) await rm(site, { recursive: true, force: true });
});

describe("training in Chromium from the built packages (wasm backend)", () => {
  it("trains the fast recipe, checkpoints to IndexedDB and resumes bit-identically", async () => {
    const page = await browser.newPage();
    page.on("request", (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(baseUrl);
    await page.waitForFunction(() => {
      const w = window as unknown as { __result?: unknown; __error?: string };
      return w.__result !== undefined || w.__error !== undefined;
    }, undefined, { timeout: 200_000 });
    const error = await page.evaluate(() => (window as unknown as { __error?: string }).__error);
    expect(error ?? errors.join("\n")).toBe("");
    const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as PageResult;

    expect(result.backend).toMatch(/^wasm \(.*training kernels\)$/);
    expect(result.steps).toBe(4);
    expect(result.losses).toHaveLength(8);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    // The grid is not blank, and training changed it.
    expect(result.sampleStd).toBeGreaterThan(1e-4);
    expect(result.sampleChange).toBeGreaterThan(1e-5);
    expect(result.resumedFrom).toMatch(/^indexeddb:\/\/browser-check-\d+\/step-0000002$/);
    expect(Object.keys(result.resumed)).toEqual(Object.keys(result.unbroken));
    for (const name of Object.keys(result.unbroken)) expect(result.resumed[name], name).toEqual(result.unbroken[name]);
    expect(result.tensorsAfter).toBe(result.tensorsBefore);
    // Everything the page needed came from the local server.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(baseUrl))).toEqual([]);
    await page.close();
  });
});
