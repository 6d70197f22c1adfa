import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { TrainerContext } from "../../callback";
import { writeFileAtomic } from "../atomic-fs";

/** Writes `bytes` to `<runDir>/<folder>/<name>` atomically, creating the folder. Returns the path. */
export async function writeRunFile(runDir: string, folder: string, name: string, bytes: Uint8Array): Promise<string> {
  const dir = path.join(runDir, folder);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFileAtomic(file, bytes);
  return file;
}

/** The context's run folder, or an error naming the callback that needs one. */
export function requireRunDir(ctx: TrainerContext, callback: string): string {
  if (!ctx.runDir) throw new Error(`${callback}: the trainer has no runDir; set the runDir option to write files`);
  return ctx.runDir;
}
