/**
 * The Train page's data: the bundled MNIST 7/8 (public/data, written at build time by scripts/prepare-data.mjs), or
 * the user's image files decoded in the browser; and the user's decoded images kept in IndexedDB, so that a
 * reloaded page continues the run on the same pixels.
 */
import type { TrainData } from "./session";

/** Side of the images the recipes train on. */
export const IMAGE_SIZE = 64;

/** The bundled MNIST 7/8 (400 images, 7s and 8s) from `base` (the page's folder). */
export async function loadMnist78(base: URL): Promise<TrainData> {
  const metaUrl = new URL("data/mnist78.json", base);
  const binUrl = new URL("data/mnist78.bin", base);
  const [metaResponse, binResponse] = await Promise.all([fetch(metaUrl), fetch(binUrl)]);
  if (!metaResponse.ok || !binResponse.ok) throw new Error(`cannot fetch the bundled MNIST 7/8 (${metaUrl.pathname}: HTTP ${metaResponse.status}, ${binUrl.pathname}: HTTP ${binResponse.status})`);
  const meta = (await metaResponse.json()) as { count: number; size: number; channels: 1; classes: string[]; labels: number[] };
  const bytes = new Uint8Array(await binResponse.arrayBuffer());
  const per = meta.size * meta.size * meta.channels;
  if (bytes.length !== meta.count * per) throw new Error(`${binUrl.pathname}: ${bytes.length} bytes, expected ${meta.count * per}`);
  const images = Array.from({ length: meta.count }, (_, i) => bytes.slice(i * per, (i + 1) * per));
  return { images, size: meta.size, channels: meta.channels, labels: Int32Array.from(meta.labels), classes: meta.classes };
}

/** A file the page could not use, and why. */
export interface SkippedFile {
  name: string;
  reason: string;
}

/** A file with the path it was found at (a dropped folder's files: `folder/7/a.png`). */
export interface PathedFile {
  file: File;
  path: string;
}

/** The path of a picked file: its folder-relative path for a folder pick, else its name; a dropped file's, as found. */
export function filePath(file: File | PathedFile): string {
  if (!(file instanceof Blob)) return file.path;
  return (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
}

/** The parts of a dropped item's `FileSystemEntry` (`DataTransferItem.webkitGetAsEntry()`) read here. */
export interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  /** `/folder/7/a.png` for a dropped folder's file. */
  fullPath: string;
}
export interface FileEntryLike extends EntryLike {
  file(success: (file: File) => void, failure?: (error: DOMException) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(success: (entries: EntryLike[]) => void, failure?: (error: DOMException) => void): void };
}

/**
 * The files under dropped entries (files and folders, walked depth first, each folder's entries in name order), with
 * their paths relative to the drop (`folder/7/a.png`, as a folder pick's `webkitRelativePath`): sub-folders become
 * classes as in a picked folder. Entries that cannot be read are returned in `skipped` with the reason.
 */
export async function filesFromEntries(entries: readonly EntryLike[]): Promise<{ files: PathedFile[]; skipped: SkippedFile[] }> {
  const files: PathedFile[] = [];
  const skipped: SkippedFile[] = [];
  const pathOf = (entry: EntryLike) => (entry.fullPath || entry.name).replace(/^\/+/, "");
  const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
  async function walk(entry: EntryLike): Promise<void> {
    if (entry.isFile) {
      try {
        const file = await new Promise<File>((resolve, reject) => (entry as FileEntryLike).file(resolve, reject));
        files.push({ file, path: pathOf(entry) });
      } catch (e) {
        skipped.push({ name: pathOf(entry), reason: `cannot be read (${errorText(e)})` });
      }
      return;
    }
    if (!entry.isDirectory) return;
    // readEntries answers in batches (100 in Chromium) until it answers none.
    const reader = (entry as DirectoryEntryLike).createReader();
    const children: EntryLike[] = [];
    try {
      for (;;) {
        const batch = await new Promise<EntryLike[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        children.push(...batch);
      }
    } catch (e) {
      skipped.push({ name: `${pathOf(entry)}/`, reason: `cannot be read (${errorText(e)})` });
    }
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) await walk(child);
  }
  for (const entry of entries) await walk(entry);
  return { files, skipped };
}

/**
 * The class of each path by its sub-folder (`pick/7/a.png` → `7`, the first level under the picked folder), when
 * every path is in one and there are at least two of them; undefined otherwise.
 */
export function classFolders(paths: readonly string[]): { labels: Int32Array; classes: string[] } | undefined {
  const folders = paths.map((p) => {
    const parts = p.split("/");
    return parts.length >= 3 ? parts[1] : undefined;
  });
  if (folders.some((f) => f === undefined)) return undefined;
  const classes = [...new Set(folders as string[])].sort();
  if (classes.length < 2) return undefined;
  return { labels: Int32Array.from(folders, (f) => classes.indexOf(f!)), classes };
}

/** Whether the RGBA pixels are grey (R = G = B everywhere). */
export function isGrey(rgba: Uint8ClampedArray): boolean {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  return true;
}

/**
 * Decodes image files in the browser (`createImageBitmap`): each is cropped to its centre square and drawn at 64 ×
 * 64. One channel when every image is grey, else three (RGB). Files that are not images, or that the browser cannot
 * decode, are skipped with the reason (after `unread`, the dropped entries that could not be read).
 */
export async function decodeFiles(files: ReadonlyArray<File | PathedFile>, unread: readonly SkippedFile[] = []): Promise<{ data: TrainData | undefined; skipped: SkippedFile[] }> {
  const skipped: SkippedFile[] = [...unread];
  const decoded: Array<{ path: string; rgba: Uint8ClampedArray }> = [];
  const canvas = new OffscreenCanvas(IMAGE_SIZE, IMAGE_SIZE);
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  for (const item of files) {
    const path = filePath(item);
    const file = item instanceof Blob ? item : item.file;
    if (/(^|\/)\./.test(path)) continue; // .DS_Store and other hidden files: not data
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      skipped.push({ name: path, reason: file.type && !file.type.startsWith("image/") ? `not an image (${file.type})` : "cannot be decoded as an image" });
      continue;
    }
    const side = Math.min(bitmap.width, bitmap.height);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, IMAGE_SIZE, IMAGE_SIZE);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, IMAGE_SIZE, IMAGE_SIZE);
    bitmap.close();
    decoded.push({ path, rgba: ctx.getImageData(0, 0, IMAGE_SIZE, IMAGE_SIZE).data });
  }
  if (decoded.length === 0) return { data: undefined, skipped };
  const channels: 1 | 3 = decoded.every((d) => isGrey(d.rgba)) ? 1 : 3;
  const images = decoded.map(({ rgba }) => {
    const out = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * channels);
    for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = rgba[p * 4 + c];
    return out;
  });
  const classes = classFolders(decoded.map((d) => d.path));
  return { data: { images, size: IMAGE_SIZE, channels, ...(classes ?? {}) }, skipped };
}

// ---- The user's decoded images in IndexedDB, by run id ----
const DATABASE = "gan-web-train-data";
const STORE = "datasets";

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export function storeDataset(id: string, data: TrainData): Promise<unknown> {
  return transact("readwrite", (s) => s.put(data, id));
}

export function loadDataset(id: string): Promise<TrainData | undefined> {
  return transact("readonly", (s) => s.get(id) as IDBRequest<TrainData | undefined>);
}

export function deleteDataset(id: string): Promise<unknown> {
  return transact("readwrite", (s) => s.delete(id));
}
