import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  type CheckpointFiles,
  type CheckpointStore,
  STATE_FILE,
  checkCheckpointFileName,
  checkCheckpointName,
  checkKeep,
  checkpointStep,
} from "../checkpoint/checkpoint-store";
import { fsyncDir, tempSibling, writeFileAtomic, writeFileSynced } from "./atomic-fs";

/** The folder of a run that holds its checkpoints. */
export const CHECKPOINTS_DIR = "checkpoints";
/** The file in {@link CHECKPOINTS_DIR} naming the newest complete checkpoint. */
export const LATEST_FILE = "latest";

/**
 * The file-system {@link CheckpointStore} of a run folder: `<runDir>/checkpoints/step-NNNNNNN/` folders written
 * atomically (see {@link writeCheckpoint}) and `checkpoints/latest` naming the newest complete one. `train()`
 * uses it for its `runDir`; {@link CheckpointStore.locate} gives a checkpoint's folder path.
 */
export class FileCheckpointStore implements CheckpointStore {
  /** The `checkpoints` folder. */
  readonly dir: string;

  /** `runDir`: a run folder, or its `checkpoints` folder itself. */
  constructor(runDir: string) {
    this.dir = checkpointsDirOf(runDir);
  }

  async write(name: string, content: CheckpointFiles): Promise<void> {
    await writeCheckpoint(this.dir, name, content);
  }

  read<S = unknown>(name: string): Promise<CheckpointFiles<S>> {
    checkCheckpointName(name, "FileCheckpointStore.read");
    return readCheckpoint<S>(this.locate(name));
  }

  async latest(): Promise<string | undefined> {
    const dir = await latestCheckpoint(this.dir);
    return dir === undefined ? undefined : path.basename(dir);
  }

  async list(): Promise<string[]> {
    return (await listCheckpoints(this.dir)).map((p) => path.basename(p));
  }

  async prune(keep: number): Promise<string[]> {
    return (await pruneCheckpoints(this.dir, keep)).map((p) => path.basename(p));
  }

  locate(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * The name `checkpoints/latest` gives when it names a checkpoint that is not there (deleted, or without
   * `state.json`); undefined when the pointer is fine or absent. {@link FileCheckpointStore.latest} then falls back
   * to the highest step found; a resume reports it instead (see `train()`).
   */
  async danglingLatest(): Promise<string | undefined> {
    let name: string;
    try {
      name = (await fs.readFile(path.join(this.dir, LATEST_FILE), "utf8")).trim();
    } catch {
      return undefined;
    }
    return (await exists(path.join(this.dir, name, STATE_FILE))) ? undefined : name;
  }
}

/**
 * Writes a checkpoint into `checkpointsDir/<name>` atomically: every file goes into a temporary folder and is
 * flushed, the folder is renamed into place, and only then is the `latest` pointer replaced (itself
 * atomically). A crash at any point leaves the previous checkpoint and pointer intact. A checkpoint already
 * at `name` is replaced. Returns the checkpoint's path.
 *
 * One writer per run folder: stray temporary folders from a crashed writer are removed.
 */
export async function writeCheckpoint(checkpointsDir: string, name: string, content: CheckpointFiles): Promise<string> {
  checkCheckpointName(name, "writeCheckpoint");
  for (const file of Object.keys(content.files)) checkCheckpointFileName(file, "writeCheckpoint");
  await fs.mkdir(checkpointsDir, { recursive: true });
  await removeStrays(checkpointsDir);
  const final = path.join(checkpointsDir, name);
  const tmp = tempSibling(final);
  await fs.mkdir(tmp);
  try {
    for (const [file, bytes] of Object.entries(content.files)) await writeFileSynced(path.join(tmp, file), bytes);
    await writeFileSynced(path.join(tmp, STATE_FILE), `${JSON.stringify(content.state, null, 2)}\n`);
    await fsyncDir(tmp);
    const old = await exists(final) ? tempSibling(final) : undefined;
    if (old) await fs.rename(final, old);
    await fs.rename(tmp, final);
    await fsyncDir(checkpointsDir);
    if (old) await fs.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await writeFileAtomic(path.join(checkpointsDir, LATEST_FILE), `${name}\n`);
  return final;
}

/** Reads a checkpoint folder written by {@link writeCheckpoint}. */
export async function readCheckpoint<S = unknown>(dir: string): Promise<CheckpointFiles<S>> {
  const statePath = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await fs.readFile(statePath, "utf8");
  } catch (e) {
    throw new Error(`${dir} is not a checkpoint: cannot read ${STATE_FILE} (${(e as Error).message})`);
  }
  let state: S;
  try {
    state = JSON.parse(text) as S;
  } catch (e) {
    throw new Error(`${statePath}: not valid JSON (${(e as Error).message})`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const entry of await fs.readdir(dir)) {
    if (entry === STATE_FILE || entry.startsWith(".")) continue;
    files[entry] = new Uint8Array(await fs.readFile(path.join(dir, entry)));
  }
  return { state, files };
}

/** The complete checkpoints of a run folder (or of a `checkpoints` folder), oldest first. */
export async function listCheckpoints(runDir: string): Promise<string[]> {
  const dir = checkpointsDirOf(runDir);
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return [];
  }
  const found: Array<[number, string]> = [];
  for (const e of entries) {
    const step = checkpointStep(e);
    if (step !== undefined && (await exists(path.join(dir, e, STATE_FILE)))) found.push([step, path.join(dir, e)]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

/**
 * The newest complete checkpoint of a run folder: the one `checkpoints/latest` names, or, when the pointer is
 * missing or names a folder that is gone, the highest step found. Undefined when there is none.
 */
export async function latestCheckpoint(runDir: string): Promise<string | undefined> {
  const dir = checkpointsDirOf(runDir);
  try {
    const name = (await fs.readFile(path.join(dir, LATEST_FILE), "utf8")).trim();
    if (checkpointStep(name) !== undefined && (await exists(path.join(dir, name, STATE_FILE)))) return path.join(dir, name);
  } catch {
    // No pointer: fall back to scanning.
  }
  const all = await listCheckpoints(runDir);
  return all[all.length - 1];
}

/** Deletes all but the newest `keep` checkpoints (never the one `latest` names). Returns the deleted paths. */
export async function pruneCheckpoints(runDir: string, keep: number): Promise<string[]> {
  checkKeep(keep);
  const all = await listCheckpoints(runDir);
  const latest = await latestCheckpoint(runDir);
  const doomed = all.slice(0, Math.max(0, all.length - keep)).filter((p) => p !== latest);
  for (const p of doomed) await fs.rm(p, { recursive: true, force: true });
  if (doomed.length > 0) await fsyncDir(checkpointsDirOf(runDir));
  return doomed;
}

/** `runDir/checkpoints`, or `runDir` itself when it already is a checkpoints folder. */
function checkpointsDirOf(runDir: string): string {
  return path.basename(runDir) === CHECKPOINTS_DIR ? runDir : path.join(runDir, CHECKPOINTS_DIR);
}

async function removeStrays(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir)) {
    if (/^\.step-\d+\.tmp-/.test(e)) await fs.rm(path.join(dir, e), { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
