import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/**
 * Checks `--out` before anything slow starts: it must be a folder (or not exist yet, under a folder this process
 * may write to), and writable. Errors name the flag, the path and what is wrong, instead of a raw EEXIST or EACCES
 * once the data has loaded.
 */
export async function checkOutFolder(out: string): Promise<void> {
  const full = resolve(out);
  const info = await stat(full).catch(() => undefined);
  if (info && !info.isDirectory()) throw new Error(`--out: ${out} is a file, expected a run folder (a new or existing folder)`);
  // The folder itself, or the nearest existing folder above it, which will hold it.
  let dir = full;
  while (!(await stat(dir).catch(() => undefined))) {
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  const parent = await stat(dir).catch(() => undefined);
  if (parent && !parent.isDirectory()) throw new Error(`--out: ${out} cannot be created: ${dir} is a file`);
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new Error(`--out: ${out} is not writable (no write permission on ${dir})`);
  }
}
