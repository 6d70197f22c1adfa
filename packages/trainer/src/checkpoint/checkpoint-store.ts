/** The JSON file every checkpoint holds beside its binary files (`state` of {@link CheckpointFiles}). */
export const STATE_FILE = "state.json";

const NAME = /^step-(\d+)$/;

/** A checkpoint as bytes: a JSON-serialisable state and named files (safetensors, JSON...). */
export interface CheckpointFiles<S = unknown> {
  state: S;
  files: Record<string, Uint8Array>;
}

/**
 * Where checkpoints are kept: a run folder on disk (`FileCheckpointStore` of `@gan/trainer/node`), memory
 * ({@link MemoryCheckpointStore}) or the browser's IndexedDB ({@link IndexedDbCheckpointStore}).
 *
 * Checkpoints are named `step-NNNNNNN` ({@link checkpointName}). Every implementation guarantees that a
 * checkpoint has all its files or does not exist, and that {@link CheckpointStore.latest} names a complete one.
 */
export interface CheckpointStore {
  /**
   * Stores `content` as checkpoint `name` atomically, then makes it the latest; a checkpoint already at `name`
   * is replaced. A failure leaves the previous checkpoints and the latest pointer as they were.
   */
  write(name: string, content: CheckpointFiles): Promise<void>;
  /** Reads checkpoint `name` back; rejects when there is none. */
  read<S = unknown>(name: string): Promise<CheckpointFiles<S>>;
  /** The name of the newest complete checkpoint, or undefined when there is none. */
  latest(): Promise<string | undefined>;
  /** The names of the complete checkpoints, oldest (lowest step) first. */
  list(): Promise<string[]>;
  /** Deletes all but the newest `keep` checkpoints (never the latest). Returns the deleted names. */
  prune(keep: number): Promise<string[]>;
  /** Where checkpoint `name` lives, for messages and results (a folder path, `indexeddb://db/name`...). */
  locate(name: string): string;
}

/** Where the store's latest checkpoint is ({@link CheckpointStore.locate}), or undefined when it has none. */
export async function latestLocation(store: CheckpointStore): Promise<string | undefined> {
  const name = await store.latest();
  return name === undefined ? undefined : store.locate(name);
}

/** The name of the checkpoint taken after `step` iterations: `step-0000012`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(7, "0")}`;
}

/** The step in a checkpoint name (`step-0000012` → 12), or undefined when `name` is not one. */
export function checkpointStep(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Throws unless `name` is a checkpoint name (`step-0000012`); `where` prefixes the error. */
export function checkCheckpointName(name: string, where: string): void {
  if (checkpointStep(name) === undefined) throw new Error(`${where}: name must look like step-0000012, got '${name}'`);
}

/**
 * Checks that `file` can be a file of a checkpoint: a plain name (no `/` or `\`, not empty, not starting with
 * `.`, which marks temporary entries) other than {@link STATE_FILE}. `where` prefixes the error.
 */
export function checkCheckpointFileName(file: string, where: string): void {
  if (file === "" || file === STATE_FILE || /[/\\]/.test(file) || file.startsWith(".")) {
    throw new Error(`${where}: bad checkpoint file name '${file}' (expected a plain file name, not starting with '.', other than ${STATE_FILE})`);
  }
}

/** Checks a `keep` count for {@link CheckpointStore.prune}: an integer ≥ 1. */
export function checkKeep(keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keepCheckpoints must be an integer >= 1, got ${keep}`);
}

/** Names sorted by step, oldest first. */
export function sortByStep(names: Iterable<string>): string[] {
  return [...names].filter((n) => checkpointStep(n) !== undefined).sort((a, b) => checkpointStep(a)! - checkpointStep(b)!);
}

/** The names {@link CheckpointStore.prune} deletes: all but the newest `keep`, never `latest`. */
export function namesToPrune(sorted: readonly string[], keep: number, latest: string | undefined): string[] {
  checkKeep(keep);
  return sorted.slice(0, Math.max(0, sorted.length - keep)).filter((n) => n !== latest);
}

/** A deep copy of a checkpoint (the state through JSON, as every store keeps it, and copies of the files). */
export function copyCheckpoint<S>(content: CheckpointFiles<S>): CheckpointFiles<S> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(content.files)) files[name] = bytes.slice();
  return { state: JSON.parse(JSON.stringify(content.state)) as S, files };
}
