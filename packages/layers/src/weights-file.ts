import * as fs from "node:fs/promises";
import type { Module } from "./module";
import { type LoadWeightsOptions, type SaveWeightsOptions, loadWeightsFromBytes, weightsToBytes } from "./weights-bytes";

/**
 * Writes `module`'s state dict to `path` as safetensors ({@link weightsToBytes}). The file is written to a
 * temporary name beside `path`, flushed and renamed, so a crash never leaves a half-written `path`.
 */
export async function saveWeights(module: Module, path: string, options: SaveWeightsOptions = {}): Promise<void> {
  const bytes = weightsToBytes(module, options);
  const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    const file = await fs.open(tmp, "w");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`saveWeights: cannot write '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Loads the safetensors file at `path` into `module` ({@link loadWeightsFromBytes}) and returns the file's
 * metadata. The file may come from {@link saveWeights} or from a PyTorch checkpoint converted by
 * `tools/convert_pth.py`. Errors name the file; the module is unchanged when it throws.
 */
export async function loadWeights(module: Module, path: string, options: LoadWeightsOptions = {}): Promise<Record<string, string>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new Error(`loadWeights: cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  return loadWeightsFromBytes(module, bytes, { ...options, source: path });
}
