import { decodeSafetensors } from "@gan/layers";
import type * as tf from "@tensorflow/tfjs-core";
import { type CheckpointStore, STATE_FILE, checkpointStep, sortByStep } from "./checkpoint-store";
import { checkCheckpointState } from "./state-schema";
import { CHECKPOINT_FILES, type TrainerCheckpointState } from "./training-state";

/**
 * Thrown by {@link GanTrainer.resume} (and `train({ resume: true })`) when the checkpoint to resume from cannot be
 * used: its `state.json` or one of its files is unreadable, truncated or missing, or the store's `latest` pointer
 * names a checkpoint that is gone. Nothing falls back silently: the error names the bad checkpoint, why, and the
 * newest older checkpoint that reads back complete (`previous`), to resume from explicitly
 * (`resume(previous)`, `train({ resume: true, resumeFrom: previous })`, `gan train --resume --from <previous>`).
 */
export class UnusableCheckpointError extends Error {
  constructor(
    /** The bad checkpoint's name (`step-0000120`). */
    readonly checkpoint: string,
    /** Where it is ({@link CheckpointStore.locate}). */
    readonly location: string,
    /** Why it cannot be used. */
    readonly reason: string,
    /** The newest older checkpoint that reads back complete, if any. */
    readonly previous: string | undefined,
  ) {
    const offer = previous
      ? `; the previous good checkpoint is ${previous}: resume from it explicitly (resume('${previous}'), or resumeFrom: '${previous}')`
      : "; no older checkpoint reads back complete";
    super(`checkpoint ${checkpoint} (${location}) cannot be resumed: ${reason}${offer}`);
    this.name = "UnusableCheckpointError";
  }
}

/**
 * The newest checkpoint of `store` older than `before` that reads back complete: a `@gan/trainer` `state.json`
 * and every trainer file decoding as safetensors. Undefined when there is none.
 */
export async function previousGoodCheckpoint(store: CheckpointStore, before: string): Promise<string | undefined> {
  const limit = checkpointStep(before) ?? Number.POSITIVE_INFINITY;
  const older = sortByStep(await store.list()).filter((n) => checkpointStep(n)! < limit);
  for (const name of older.reverse()) {
    if ((await checkpointProblem(store, name)) === undefined) return name;
  }
  return undefined;
}

/** Why checkpoint `name` of `store` does not read back complete, or undefined when it does. */
export async function checkpointProblem(store: CheckpointStore, name: string): Promise<string | undefined> {
  try {
    const { state, files } = await store.read<TrainerCheckpointState>(name);
    checkCheckpointState(state, `${store.locate(name)}/${STATE_FILE}`);
    for (const file of Object.values(CHECKPOINT_FILES)) {
      if (!files[file]) return `missing ${file}`;
      const { tensors } = decodeSafetensors(files[file], file);
      for (const t of Object.values(tensors) as tf.Tensor[]) t.dispose();
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
