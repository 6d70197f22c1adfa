import { existsSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The main entry must bundle for a browser or a Web Worker: its module graph (this package's own files) may
 * reach no Node built-in and no native module, only the browser-safe packages listed here. The Node entry is
 * the opposite check: it is where those imports live.
 */
// valibot: the schemas of the files read (pure ES modules, browser-safe; bundled by tools/browser-check).
const ALLOWED_PACKAGES = ["@gan/layers", "@gan/losses", "@gan/spec", "@tensorflow/tfjs-core", "valibot"];
const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles `entry` for the browser, keeping packages external; returns the bare imports its own files make. */
async function bareImports(entry: string): Promise<{ packages: Set<string>; files: string[] }> {
  const packages = new Set<string>();
  const record: Plugin = {
    name: "record-bare-imports",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        packages.add(args.path);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    metafile: true,
    logLevel: "silent",
    plugins: [record],
  });
  return { packages, files: Object.keys(result.metafile.inputs) };
}

const isNodeOnly = (p: string) => p.startsWith("node:") || builtinModules.includes(p.split("/")[0]) || p === "sharp";

describe("the main entry (src/index.ts)", () => {
  it("bundles for the browser without reaching a Node built-in or a native module", async () => {
    const { packages, files } = await bareImports(path.join(here, "index.ts"));
    expect([...packages].filter(isNodeOnly)).toEqual([]);
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.includes(p))).toEqual([]);
    // None of the Node entry's files is part of it.
    expect(files.filter((f) => f.includes("/node/"))).toEqual([]);
  });

  it.runIf(existsSync(path.join(here, "..", "dist", "index.js")))("and so does its build, dist/index.js (with the chunks it shares with the Node entry)", async () => {
    const { packages, files } = await bareImports(path.join(here, "..", "dist", "index.js"));
    expect([...packages].filter(isNodeOnly)).toEqual([]);
    expect([...packages].filter((p) => !ALLOWED_PACKAGES.includes(p))).toEqual([]);
    expect(files.filter((f) => f.includes("/node/"))).toEqual([]);
  });

  it("(the check works: the Node entry does reach Node built-ins and sharp)", async () => {
    const { packages } = await bareImports(path.join(here, "node", "index.ts"));
    expect([...packages].filter(isNodeOnly)).toEqual(expect.arrayContaining(["node:fs/promises", "node:path", "sharp"]));
  });
});
