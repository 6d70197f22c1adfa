import type { CheckpointFileMap, TrainEnd, TrainerCallback, TrainerContext } from "./callback";
import { checkCheckpointFileName } from "./checkpoint/checkpoint-store";
import { CHECKPOINT_FILES } from "./checkpoint/training-state";

/** The key a callback's files are recorded under in a checkpoint: its name, or `#index` without one. */
export function callbackKey(callback: TrainerCallback, index: number): string {
  return callback.name ?? `#${index}`;
}

/** Calls `call` on every callback in order, awaiting each. */
export async function emit(callbacks: readonly TrainerCallback[], call: (cb: TrainerCallback) => void | Promise<void>): Promise<void> {
  for (const cb of callbacks) await call(cb);
}

/**
 * Calls every callback's `onTrainEnd`, all of them even when some throw. Returns `end.error` when the run
 * failed, else the first error a hook threw (undefined when none).
 */
export async function emitTrainEnd(callbacks: readonly TrainerCallback[], ctx: () => TrainerContext, end: TrainEnd): Promise<unknown> {
  let error = end.error;
  for (const cb of callbacks) {
    try {
      await cb.onTrainEnd?.(ctx(), end);
    } catch (e) {
      if (error === undefined) error = e;
    }
  }
  return error;
}

/**
 * Asks every callback with `state()` for its files and adds them to `files`, refusing bad names and names
 * already taken (by the trainer, whose files `files` holds on entry, or by another callback). Returns which
 * files each callback wrote, by {@link callbackKey}.
 */
export async function collectCallbackState(
  callbacks: readonly TrainerCallback[],
  ctx: TrainerContext,
  files: Record<string, Uint8Array>,
): Promise<Record<string, string[]>> {
  const owners = new Map(Object.keys(files).map((f): [string, string] => [f, "the trainer"]));
  const written: Record<string, string[]> = {};
  for (const [index, cb] of callbacks.entries()) {
    if (!cb.state) continue;
    const key = callbackKey(cb, index);
    const who = `callback '${key}'`;
    const added = (await cb.state(ctx)) ?? {};
    for (const [file, bytes] of Object.entries(added)) {
      checkCheckpointFileName(file, `GanTrainer: ${who}`);
      const owner = owners.get(file);
      if (owner) throw new Error(`GanTrainer: ${who} adds '${file}' to the checkpoint, but ${owner} already writes it`);
      if (!(bytes instanceof Uint8Array)) throw new Error(`GanTrainer: ${who} must give checkpoint file '${file}' as a Uint8Array`);
      owners.set(file, who);
      files[file] = bytes;
    }
    written[key] = [...(written[key] ?? []), ...Object.keys(added)];
  }
  return written;
}

/**
 * Hands every callback with `restore()` the files it wrote into the checkpoint: those recorded under its key in
 * `written`, or, for checkpoints that predate the record, every file that is not the trainer's own.
 */
export async function restoreCallbackState(
  callbacks: readonly TrainerCallback[],
  ctx: TrainerContext,
  files: Readonly<Record<string, Uint8Array>>,
  written: Readonly<Record<string, readonly string[]>> | undefined,
): Promise<void> {
  const own: readonly string[] = Object.values(CHECKPOINT_FILES);
  for (const [index, cb] of callbacks.entries()) {
    if (!cb.restore) continue;
    const names = written ? (written[callbackKey(cb, index)] ?? []) : Object.keys(files).filter((f) => !own.includes(f));
    const mine: CheckpointFileMap = {};
    for (const name of names) if (files[name]) mine[name] = files[name];
    await cb.restore(mine, ctx);
  }
}
