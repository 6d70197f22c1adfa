import {
  type CheckpointFiles,
  type CheckpointStore,
  checkCheckpointFileName,
  checkCheckpointName,
  copyCheckpoint,
  namesToPrune,
  sortByStep,
} from "./checkpoint-store";

/**
 * A {@link CheckpointStore} in memory: for tests, and for short runs that keep their checkpoints only as long
 * as the page or process lives. Contents are copied in and out, so later changes to the bytes given or
 * returned do not reach the stored checkpoint.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, CheckpointFiles>();
  private latestName: string | undefined;

  async write(name: string, content: CheckpointFiles): Promise<void> {
    checkCheckpointName(name, "MemoryCheckpointStore.write");
    for (const file of Object.keys(content.files)) checkCheckpointFileName(file, "MemoryCheckpointStore.write");
    // Copied (and the state serialised) before anything is stored, so a failure stores nothing.
    const copy = copyCheckpoint(content);
    this.checkpoints.set(name, copy);
    this.latestName = name;
  }

  async read<S = unknown>(name: string): Promise<CheckpointFiles<S>> {
    const found = this.checkpoints.get(name);
    if (!found) throw new Error(`${this.locate(name)} is not a checkpoint`);
    return copyCheckpoint(found) as CheckpointFiles<S>;
  }

  async latest(): Promise<string | undefined> {
    return this.latestName;
  }

  async list(): Promise<string[]> {
    return sortByStep(this.checkpoints.keys());
  }

  async prune(keep: number): Promise<string[]> {
    const doomed = namesToPrune(await this.list(), keep, this.latestName);
    for (const name of doomed) this.checkpoints.delete(name);
    return doomed;
  }

  locate(name: string): string {
    return `memory://${name}`;
  }
}
