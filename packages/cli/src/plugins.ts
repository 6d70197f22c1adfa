import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Loads `--plugin` files: each is imported for its side effects (typically `registerLayer("my-attention",
 * ...)` from @gan/layers), then, if it exports a `register()` function, that is called.
 */
export async function loadPlugins(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const url = pathToFileURL(resolve(p)).href;
    let mod: { register?: unknown; default?: { register?: unknown } };
    try {
      mod = await import(url);
    } catch (e) {
      throw new Error(`--plugin ${p}: cannot load it (${(e as Error).message})`);
    }
    const register = mod.register ?? mod.default?.register;
    if (typeof register === "function") await register();
  }
}
