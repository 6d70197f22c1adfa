import { builtinModules } from "node:module";
import { type BuildFailure, type Message, build } from "esbuild";

/** A Node-only import that a browser bundle reached: what was imported and from where. */
export interface NodeOnlyImport {
  /** The import specifier (`node:fs`, `sharp`, ...) or, for a native package, its file. */
  specifier: string;
  /** The file that imports it. */
  importer: string;
  /** Why it cannot run in a browser. */
  reason: "node built-in" | "native module";
}

/** Packages that load a native addon: they cannot run in a browser whatever the bundler does. */
const NATIVE_PACKAGE = /node_modules\/(sharp|@img\/sharp[^/]*|@tensorflow\/tfjs-node(-gpu)?)\//;
const BUILTINS = new Set(builtinModules);

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0]);
}

/**
 * Bundles `source` (an ES module that imports packages by name) for the browser with esbuild — `platform:
 * "browser"` (packages' `browser` fields apply, as in any browser bundler), no Node polyfills — from
 * `resolveDir`, and returns every Node built-in or native module the bundle reached, with the file that imported
 * it. Other bundling errors throw.
 */
export async function nodeOnlyImports(source: string, resolveDir: string): Promise<NodeOnlyImport[]> {
  try {
    const result = await build({
      stdin: { contents: source, resolveDir, sourcefile: "entry.js", loader: "js" },
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
      metafile: true,
    });
    // Reached without an error (a native package's JavaScript may resolve): look at what went into the bundle.
    return Object.entries(result.metafile.inputs)
      .filter(([file]) => NATIVE_PACKAGE.test(file))
      .map(([file]) => {
        const importer = Object.entries(result.metafile.inputs).find(([, input]) => input.imports.some((i) => i.path === file))?.[0] ?? "?";
        return { specifier: file, importer, reason: "native module" as const };
      });
  } catch (e) {
    const errors = (e as BuildFailure).errors as Message[] | undefined;
    if (!errors) throw e;
    const found: NodeOnlyImport[] = [];
    const other: string[] = [];
    for (const error of errors) {
      const specifier = /Could not resolve "([^"]+)"/.exec(error.text)?.[1];
      const importer = error.location?.file ?? "?";
      if (specifier && isBuiltin(specifier)) {
        found.push({ specifier, importer, reason: NATIVE_PACKAGE.test(importer) ? "native module" : "node built-in" });
      } else other.push(`${importer}: ${error.text}`);
    }
    if (other.length > 0) throw new Error(`bundling failed:\n${other.join("\n")}`);
    return found;
  }
}
