import * as fs from "node:fs/promises";
import * as path from "node:path";
import { UnusableCheckpointError, previousGoodCheckpoint } from "../../checkpoint/unusable-checkpoint";
import type { GanTrainer } from "../../gan-trainer";
import type { FileCheckpointStore } from "../file-checkpoint-store";
import { CONFIG_FILE, RESUME_OVERRIDABLE, type RunConfig, readRunConfig } from "./run-config";

/** Trainer options that define a run: a resume that gives another value is an error. */
const DEFINING = ["seed", "beta1", "beta2", "epsilon", "dSteps", "loss"] as const;

/**
 * The record of the run `train({ resume: true })` continues. Rejects, naming `runDir` and what is missing, when the
 * folder does not exist, holds no checkpoint or has no `config.json`: a resume never starts a fresh run.
 */
export async function resumableRun(runDir: string, store: FileCheckpointStore): Promise<RunConfig> {
  const where = "train: resume";
  if (!(await fs.stat(runDir).catch(() => undefined))?.isDirectory()) throw new Error(`${where}: ${runDir} does not exist; there is no run to resume`);
  const hasConfig = await fs.stat(path.join(runDir, CONFIG_FILE)).then(() => true, () => false);
  if ((await store.latest()) === undefined && (await store.danglingLatest()) === undefined) {
    const why = hasConfig ? `has ${CONFIG_FILE} but no checkpoint in ${store.dir} (the run stopped before its first one)` : "holds no run (no config.json, no checkpoint)";
    throw new Error(`${where}: ${runDir} ${why}; start it without resume`);
  }
  if (!hasConfig) throw new Error(`${where}: ${runDir} has checkpoints but no ${CONFIG_FILE}, which records how the run was configured`);
  return readRunConfig(runDir);
}

/**
 * Checks a trainer about to resume a run against the run's record: the batch size and the options that define
 * the run (seed, Adam's betas and ε, D steps, loss) must be the recorded ones; only `epochs`, `gLr` and `dLr` may
 * change (see {@link resumeOverrides}).
 */
export function checkResumedOptions(recorded: RunConfig, trainer: GanTrainer, runDir: string): void {
  const problems: string[] = [];
  for (const key of DEFINING) {
    const was = recorded.trainer?.[key];
    if (was !== undefined && was !== trainer.options[key]) problems.push(`option '${key}' is ${JSON.stringify(was)} in the record, given ${JSON.stringify(trainer.options[key])}`);
  }
  const batch = recorded.data?.batchSize;
  if (batch !== undefined && trainer.data.batchSize !== undefined && batch !== trainer.data.batchSize) {
    problems.push(`the data's batch size is ${batch} in the record, given ${trainer.data.batchSize}`);
  }
  if (problems.length > 0) {
    const allowed = RESUME_OVERRIDABLE.join(", ");
    throw new Error(`train: resume of ${runDir} (${path.join(runDir, CONFIG_FILE)}): ${problems.join("; ")}. A resumed run keeps what defines it; only ${allowed} may change`);
  }
}

/**
 * Resumes `trainer` from `name`, or from the newest checkpoint. A `checkpoints/latest` pointer naming a missing
 * checkpoint is an {@link UnusableCheckpointError} (offering the newest complete one), not a silent fallback.
 */
export async function resumeTrainer(trainer: GanTrainer, store: FileCheckpointStore, name?: string): Promise<string> {
  if (name === undefined) {
    const dangling = await store.danglingLatest();
    if (dangling !== undefined) {
      const reason = `checkpoints/latest names it but it is missing (no ${path.join(dangling, "state.json")})`;
      throw new UnusableCheckpointError(dangling, store.locate(dangling), reason, await previousGoodCheckpoint(store, dangling));
    }
  } else if (!(await store.list()).includes(name)) {
    throw new Error(`train: resumeFrom: no checkpoint ${name} in ${store.dir} (there are: ${(await store.list()).join(", ") || "none"})`);
  }
  const where = await trainer.resume(name);
  if (where === undefined) throw new Error(`train: resume: no checkpoint in ${store.dir}`);
  return where;
}
