import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DataError } from "./errors";
import { extensionOf, IMAGE_EXTENSIONS, UNSUPPORTED_IMAGE_EXTENSIONS } from "./formats";

/** What {@link scanFolder} found under a folder, every list sorted by relative path. */
export interface FolderScan {
  /** Files with a readable image extension (absolute or as joined onto `root`). */
  images: string[];
  /** Files with an image extension sharp cannot read (BMP, …). */
  unsupported: string[];
  /** Every other file (not images by extension: `.txt`, `.csv`, hidden files, …). */
  ignored: string[];
}

/** Options of {@link scanFolder}. */
export interface ScanOptions {
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
  /** Extensions to read, lower-case with dot (default {@link IMAGE_EXTENSIONS}). */
  extensions?: readonly string[];
}

/**
 * Lists a dataset folder: image files in a deterministic order (sorted by their path relative to `root`,
 * by UTF-16 code units, so the order is the same on every machine and locale). Symbolic links are followed.
 *
 * @throws DataError `NOT_FOUND` when `root` does not exist, `NOT_A_DIRECTORY` when it is a file,
 *   `EMPTY_FOLDER` when it holds no files, `NO_IMAGES` when none has an image extension.
 */
export async function scanFolder(root: string, options: ScanOptions = {}): Promise<FolderScan> {
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new DataError("NOT_FOUND", `Dataset folder not found: "${root}" does not exist`, { file: root });
  if (!info.isDirectory()) {
    throw new DataError("NOT_A_DIRECTORY", `Dataset path "${root}" is a file, not a folder (use ImageFolder.fromFiles for a list of files)`, {
      file: root,
    });
  }
  const readable = new Set(options.extensions ?? IMAGE_EXTENSIONS);
  const unreadable = new Set(UNSUPPORTED_IMAGE_EXTENSIONS.filter((e) => !readable.has(e)));
  const files: string[] = [];
  await walk(root, options.recursive ?? true, files, new Set());
  files.sort((a, b) => compare(relative(root, a), relative(root, b)));
  const scan: FolderScan = { images: [], unsupported: [], ignored: [] };
  for (const file of files) {
    const ext = extensionOf(file);
    if (readable.has(ext)) scan.images.push(file);
    else if (unreadable.has(ext)) scan.unsupported.push(file);
    else scan.ignored.push(file);
  }
  if (files.length === 0) {
    throw new DataError("EMPTY_FOLDER", `Dataset folder "${root}" is empty: it holds no files${options.recursive === false ? " (sub-folders not searched)" : ""}`, {
      file: root,
    });
  }
  if (scan.images.length === 0 && scan.unsupported.length === 0) {
    const shown = scan.ignored.slice(0, 5).map((f) => relative(root, f));
    throw new DataError(
      "NO_IMAGES",
      `No images in "${root}": found ${files.length} file(s), none with an image extension (${[...readable].join(", ")}): ${shown.join(", ")}${files.length > 5 ? ", …" : ""}`,
      { file: root },
    );
  }
  return scan;
}

/** Collects the files under `dir`; `ancestors` (device:inode of the folders above) stops symlink loops. */
async function walk(dir: string, recursive: boolean, out: string[], ancestors: Set<string>): Promise<void> {
  const real = await stat(dir);
  const key = `${real.dev}:${real.ino}`;
  if (ancestors.has(key)) return; // a link back to a folder above: a loop
  const path = new Set(ancestors).add(key);
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const file = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(file).catch(() => undefined);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? true; // a dangling link is reported like a missing file, not dropped
    }
    if (isDir) {
      if (recursive) await walk(join(dir, entry.name), recursive, out, path);
    } else if (isFile) out.push(file);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first path segment of `file` relative to `root` when it is inside a sub-folder, else undefined. */
export function classFolderOf(root: string, file: string): string | undefined {
  const rel = relative(root, file);
  const at = rel.indexOf(sep);
  return at > 0 ? rel.slice(0, at) : undefined;
}
