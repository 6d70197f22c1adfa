import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ModelSpec, type Recipe, RunExtraSchema, type TrainingSetup, getRecipe } from "@gan/recipes";
import { CONFIG_FILE, FileCheckpointStore, type RunConfig, readRunConfig } from "@gan/trainer/node";
import type { CommandIO, TrainCommandOptions } from "./commands/train";
import { MODEL_FIELD_FLAGS } from "./models";
import { type ResumeConflict, resumedTrainingSetup, trainingSetup } from "./training-setup";

/**
 * `gan train --resume` given flags that disagree with the run's record: a command-line error (exit 2) listing
 * each flag with the recorded and the given value.
 */
export class ResumeConflictError extends Error {
  constructor(
    readonly configFile: string,
    readonly conflicts: readonly ResumeConflict[],
  ) {
    const lines = conflicts.map((c) => `  ${c.flag}: recorded ${c.recorded}, given ${c.given}`);
    super(
      `--resume: ${conflicts.length === 1 ? "a flag disagrees" : "flags disagree"} with the run's record (${configFile}):\n${lines.join("\n")}\n` +
        "a resumed run keeps what defines it: leave these flags out (only --epochs, --g-lr, --d-lr and the run options may change; see 'gan train --help')",
    );
    this.name = "ResumeConflictError";
  }
}

/** Whether the user gave an option of {@link TrainCommandOptions} (its commander value source is the command line). */
export type GivenFlag = (key: keyof TrainCommandOptions) => boolean;

/** A recorded model field's value, with what a record without the optional field means. */
function recordedValue(spec: ModelSpec, key: keyof ModelSpec): unknown {
  if (key === "attentionAfter") return spec.attentionAfter ?? [3, 4];
  if (key === "discriminatorAttentionAfter") return spec.discriminatorAttentionAfter ?? spec.attentionAfter ?? [3, 4];
  if (key === "generatorSpectralNorm") return spec.generatorSpectralNorm ?? true;
  if (key === "workingSize") return spec.workingSize ?? 64;
  if (key === "conditional") return spec.conditional === true || spec.numClasses !== undefined;
  return spec[key];
}

/** A model field's value in words: `3,4`, `none`, `with spectral norm`, `{"dims":1,...}`. */
function showModelValue(key: keyof ModelSpec, value: unknown): string {
  if (key === "generatorSpectralNorm") return value === false ? "without spectral norm" : "with spectral norm";
  if (key === "conditional") return value === true ? "conditional" : "unconditional";
  if (key === "attention" && value === undefined) return "the reference's self-attention";
  if (value === undefined) return "none";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(",");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * Checks that `out` holds a run `--resume` can continue: the folder, its `config.json` and a checkpoint. Errors
 * (exit 1) name the folder and what is missing: a resume never starts a fresh run.
 */
export async function checkResumable(out: string): Promise<void> {
  const info = existsSync(out) ? statSync(out) : undefined;
  if (!info) throw new Error(`--resume: ${out} does not exist: there is no run to resume (leave out --resume to start one)`);
  if (!info.isDirectory()) throw new Error(`--resume: ${out} is a file, expected a run folder`);
  const hasConfig = existsSync(join(out, CONFIG_FILE));
  // The store's own view of the folder: a complete checkpoint, or a `latest` pointer (even a dangling one, which
  // the resume then reports with the previous good checkpoint).
  const store = new FileCheckpointStore(out);
  const hasCheckpoint = (await store.latest()) !== undefined || (await store.danglingLatest()) !== undefined;
  if (!hasConfig && !hasCheckpoint) throw new Error(`--resume: ${out} holds no run (no ${CONFIG_FILE}, no checkpoint); leave out --resume to start one`);
  if (!hasConfig) throw new Error(`--resume: ${out} has checkpoints but no ${CONFIG_FILE}, which records the model and settings to rebuild`);
  if (!hasCheckpoint) {
    throw new Error(`--resume: ${out} has ${CONFIG_FILE} but no checkpoint in ${store.dir} (the run stopped before its first one); leave out --resume to start it again`);
  }
}

/**
 * The recipe and seed a resumed `gan train` runs, all from the run's `config.json`: the recipe, the whole model
 * (seed included), the batch size, the epochs and the training setup. A given flag that disagrees with the record
 * is a {@link ResumeConflictError}; `--epochs`, `--g-lr` and `--d-lr` are overrides (`train()` logs them in
 * `config.json`'s `history`); `--eval-every`, `--eval-n` and `--no-eval` replace the recorded evaluation.
 */
export async function resumedRecipe(options: TrainCommandOptions, given: GivenFlag, io: CommandIO): Promise<{ recipe: Recipe; seed: number }> {
  await checkResumable(options.out);
  const configFile = join(options.out, CONFIG_FILE);
  const config = await readRunConfig(options.out, RunExtraSchema);
  const extra = config.extra ?? {};
  const model = extra.model as ModelSpec | undefined;
  if (!model?.model) throw new Error(`--resume: ${configFile} records no model (extra.model): was the run written by 'gan train'?`);
  const recipeName = typeof extra.recipe === "string" ? extra.recipe : model.model;
  const base = getRecipe(recipeName);
  const recordedTraining = recordedSetup(config);
  const batchSize = config.data?.batchSize ?? base.batchSize;
  const epochs = config.trainer?.epochs ?? base.epochs;

  const conflicts: ResumeConflict[] = [];
  const differ = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
  if (given("recipe") && options.recipe !== recipeName) conflicts.push({ flag: "--recipe", recorded: recipeName, given: String(options.recipe) });
  for (const [key, flag] of Object.entries(MODEL_FIELD_FLAGS) as Array<[keyof ModelSpec, string]>) {
    const value = options[key];
    const recorded = recordedValue(model, key);
    if (!given(key) || value === undefined || !differ(value, recorded)) continue;
    conflicts.push({ flag, recorded: showModelValue(key, recorded), given: showModelValue(key, value) });
  }
  if (given("batchSize") && options.batchSize !== batchSize) conflicts.push({ flag: "--batch-size", recorded: String(batchSize), given: String(options.batchSize) });
  const flags = Object.fromEntries(Object.entries(options).filter(([k]) => given(k as keyof TrainCommandOptions)));
  const givenSetup = trainingSetup(flags, model.channels, recordedTraining);
  const training = resumedTrainingSetup(givenSetup, recordedTraining, (c) => conflicts.push(c));
  if (conflicts.length > 0) throw new ResumeConflictError(configFile, conflicts);

  const newEpochs = given("epochs") && options.epochs !== undefined ? options.epochs : epochs;
  for (const [flag, from, to] of [
    ["--epochs", epochs, newEpochs],
    ["--g-lr", recordedTraining.gLr, training.gLr],
    ["--d-lr", recordedTraining.dLr, training.dLr],
  ] as const) {
    if (from !== undefined && from !== to) io.log(`resume: ${flag} ${to} instead of the recorded ${from} (logged in ${configFile}'s history)`);
  }
  const { seed, ...nets } = model;
  return { recipe: { ...base, model: nets, training, batchSize, epochs: newEpochs }, seed };
}

/**
 * The training setup `config.json` records (`extra.training`), with the loss, learning rates, D steps and betas
 * of the trainer's own record (`trainer`) where it lacks them (run folders written before they were recorded).
 */
function recordedSetup(config: RunConfig): TrainingSetup {
  const setup = { ...((config.extra?.training as TrainingSetup | undefined) ?? {}) };
  const trainer = config.trainer ?? {};
  for (const key of ["loss", "gLr", "dLr", "dSteps", "beta1", "beta2"] as const) {
    if (setup[key] === undefined && trainer[key] !== undefined) Object.assign(setup, { [key]: trainer[key] });
  }
  return setup;
}
