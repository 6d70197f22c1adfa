import { type BackendName, selectBackend, wasmThreadGovernor } from "@gan/backend/node";
import { type ModelSpec, type Recipe, RunExtraSchema, defaultSampleEvery, getRecipe, isConditional, resolveTrainingSetup, withOverrides } from "@gan/recipes";
import { trainRecipe } from "@gan/recipes/node";
import { type TrainRunResult, readRunConfig } from "@gan/trainer/node";
import { DivergenceError, UnusableCheckpointError, stepsPerEpoch } from "@gan/trainer";
import { basename } from "node:path";
import { TrainingDivergedError } from "../divergence";
import { openImageSource } from "../image-source";
import { checkOutFolder } from "../out-folder";
import { MODEL_FIELD_FLAGS, inFlagTerms } from "../models";
import { loadPlugins } from "../plugins";
import { progressBar } from "../progress-bar";
import { resumedRecipe } from "../resume";
import { type TrainingFlags, formatTrainingSetup, trainingSetup } from "../training-setup";

/**
 * Options of `gan train`. A recipe (`recipe`, default the article's recipe of `model`, else `sagan`) gives the nets
 * and how they train; every model or training field given here overrides the recipe's. The model and the
 * training setup are recorded in `config.json` (`extra.model`, `extra.training`); a resumed run keeps them.
 */
export interface TrainCommandOptions extends Partial<Omit<ModelSpec, "seed">>, TrainingFlags {
  /** A named recipe of `@gan/recipes` (`fast`, `sagan`, `dcgan`). */
  recipe?: string;
  data: string;
  /** Epochs (default: the recipe's). */
  epochs?: number;
  /** Images per batch (default: the recipe's). */
  batchSize?: number;
  out: string;
  backend: BackendName;
  /**
   * wasm backend threads: 1–8 (fixed), or `"auto"` (the default: one per logical CPU, at most 8, and 1 whenever that
   * trains faster: `wasmThreadGovernor` of `@gan/backend/node`, fed every step).
   */
  threads?: number | "auto";
  seed: number;
  resume: boolean;
  /**
   * Sample grids, attention maps and the loss plot every this many epochs (default: every epoch, or the fewest epochs
   * that span 50 steps when epochs are shorter: `defaultSampleEvery` of `@gan/recipes`).
   */
  sampleEvery?: number;
  /** Checkpoints every this many epochs (default: as `sampleEvery`). */
  checkpointEvery?: number;
  keep: number;
  /** Stop (with a checkpoint) after this many minutes. */
  maxMinutes?: number;
  plugin: string[];
  /** No progress bar (tests, logs). */
  quiet?: boolean;
  /** Leave out image files that fail to decode, with a warning listing them (`--skip-invalid`). */
  skipInvalid?: boolean;
  /** With `resume`: the checkpoint to continue from (`step-0000120` or its folder) instead of the latest (`--from`). */
  from?: string;
  /**
   * Class-conditional nets (`--conditional`): the image folder is opened with its class sub-folders as labels
   * (`gan prepare mnist` writes `0/` … `9/`), `numClasses` is their count, and `config.json` records the class names
   * (`extra.classes`) for `gan sample --class` / `--per-class`. A resumed run keeps what it recorded.
   */
  conditional?: boolean;
  /**
   * The options the user gave (commander's value source `cli`), so that a default such as `--seed 0` is not
   * taken for a flag that disagrees with a resumed run's record. Absent: every defined option counts as given.
   */
  given?: ReadonlySet<string>;
}

/** How `gan train` ended: the run's result, and for a stopped run what stopped it. */
export interface TrainCommandResult extends TrainRunResult {
  /** `"time"`: `--max-minutes` (exit 0); `"interrupt"`: Ctrl-C or another abort (exit 130, as shells expect). */
  stoppedBy?: "time" | "interrupt";
}

/** Output streams of a command, so tests can capture them. */
export interface CommandIO {
  /** Writes one line of normal output (stdout by default). */
  log(message: string): void;
  /** Where errors, warnings and the progress bar go (stderr by default). */
  stderr: NodeJS.WriteStream;
}

/** The model fields a flag sets only when given (absent: the recipe's); the seed is its own option. */
const MODEL_FIELDS = (Object.keys(MODEL_FIELD_FLAGS) as Array<keyof ModelSpec>).filter((key) => key !== "seed");
/**
 * The recipe `gan train` runs: the named one (or the article's recipe of `--model`) with the flags given laid over
 * it; on `--resume`, everything the run recorded ({@link resumedRecipe}: a disagreeing flag is an error).
 */
async function recipeOf(options: TrainCommandOptions, io: CommandIO): Promise<{ recipe: Recipe; seed: number }> {
  if (options.resume) {
    const given = (key: keyof TrainCommandOptions) => (options.given ? options.given.has(key) : options[key] !== undefined);
    return resumedRecipe(options, given, io);
  }
  const base = getRecipe(options.recipe ?? options.model ?? "sagan");
  const modelFlags: Partial<Omit<ModelSpec, "seed">> = {};
  for (const key of MODEL_FIELDS) {
    // --no-g-spectral-norm's absence reads as true: the default, not an override.
    if (key === "generatorSpectralNorm" && options[key] === true) continue;
    if (key === "conditional" && options[key] !== true) continue;
    if (options[key] !== undefined) Object.assign(modelFlags, { [key]: options[key] });
  }
  const given = trainingSetup(options, options.channels ?? base.model.channels, base.training);
  const recipe = withOverrides(base, {
    model: modelFlags,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
  });
  return { recipe: { ...recipe, training: { ...recipe.training, ...given } }, seed: options.seed };
}

/**
 * `gan train`: maps the flags onto a recipe of `@gan/recipes`, opens the image folder, picks the backend, and
 * trains it with `trainRecipe` (the standard run folder: config.json, metrics.jsonl, samples/, attention/,
 * losses.png, checkpoints/). Ctrl-C or `--max-minutes` stop after the current step with a checkpoint;
 * `--resume` continues from it.
 */
export async function trainCommand(options: TrainCommandOptions, io: CommandIO): Promise<TrainCommandResult> {
  await loadPlugins(options.plugin);
  const { recipe, seed } = await recipeOf(options, io);
  const training = resolveTrainingSetup(recipe.training, recipe.model.model);
  // The run folder and the data first: a wrong path fails before anything slow starts.
  await checkOutFolder(options.out);
  const data = await openImageSource(options.data, {
    batchSize: recipe.batchSize,
    seed,
    channels: recipe.model.channels,
    size: 64,
    ...(options.skipInvalid ? { skipInvalid: true, warn: (m: string) => io.stderr.write(`${m}\n`) } : {}),
    ...(isConditional(recipe.model) ? { labels: true } : {}),
  });
  if (options.resume && isConditional(recipe.model)) await checkResumedClasses(options, data.classes ?? []);
  const backend = await selectBackend(options.backend, {
    log: io.log,
    warn: (m) => io.stderr.write(`${m}\n`),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const threadGovernor = backend.name === "wasm" && (options.threads ?? "auto") === "auto" ? wasmThreadGovernor() : null;
  io.log(`data: ${data.length} images in ${options.data}, ${data.batchesPerEpoch} batches of up to ${recipe.batchSize}`);
  if (data.classes) io.log(`classes: ${data.classes.length} (${shortList(data.classes)}), one conditional label each`);
  io.log(`training: recipe ${recipe.name}, ${formatTrainingSetup(training)}`);
  const sampleEvery = options.sampleEvery ?? defaultSampleEvery(data.batchesPerEpoch, training.dSteps);
  const checkpointEvery = options.checkpointEvery ?? sampleEvery;
  const steps = stepsPerEpoch(data.batchesPerEpoch, training.dSteps);
  io.log(`pictures ${everyEpochs(sampleEvery, steps)}, checkpoints ${everyEpochs(checkpointEvery, steps)}, and both after the last step`);

  const controller = new AbortController();
  let stoppedBy: TrainCommandResult["stoppedBy"];
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.log("\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)");
    stoppedBy = "interrupt";
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const timer = options.maxMinutes
    ? setTimeout(() => {
        io.log(`\n--max-minutes ${options.maxMinutes} reached: stopping after this step`);
        stoppedBy ??= "time";
        controller.abort();
      }, options.maxMinutes * 60_000)
    : undefined;
  try {
    const result = await trainRecipe(recipe, {
      data,
      runDir: options.out,
      seed,
      resume: options.resume,
      ...(options.from !== undefined ? { resumeFrom: basename(options.from) } : {}),
      signal: controller.signal,
      sampleEvery,
      checkpointEvery,
      keep: options.keep,
      progress: false,
      // threads: auto on wasm: all the logical CPUs, or 1 while other processes keep them busy, decided from step times.
      callbacks: [...(threadGovernor ? [threadGovernor.callback] : []), ...(options.quiet ? [] : [progressBar(io.stderr)])],
      config: { data: options.data, backend },
    }).catch((e: unknown) => {
      if (e instanceof UnusableCheckpointError) throw unusableCheckpoint(e, options);
      throw e instanceof DivergenceError ? new TrainingDivergedError(e, options) : inFlagTerms(e);
    });
    const resume = `'gan train --resume --out ${options.out} --data ${options.data}' continues it`;
    if (result.status === "completed") io.log(`completed: ${result.step} steps; pictures and checkpoints in ${options.out}`);
    else if (stoppedBy === "time") io.log(`stopped at --max-minutes ${options.maxMinutes}: ${result.step} steps; pictures and checkpoints in ${options.out} (${resume})`);
    else io.log(`interrupted: ${result.step} steps; pictures and checkpoints in ${options.out} (${resume})`);
    return { ...result, ...(result.status === "aborted" ? { stoppedBy: stoppedBy ?? "interrupt" } : {}) };
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSigint);
  }
}

/** "every epoch (32 steps)", "every 17 epochs (51 steps)"; without the steps when the epoch's length is unknown. */
function everyEpochs(epochs: number, stepsPerEpoch: number | undefined): string {
  const every = `every ${epochs === 1 ? "epoch" : `${epochs} epochs`}`;
  if (stepsPerEpoch === undefined) return every;
  const steps = epochs * stepsPerEpoch;
  return `${every} (${steps} step${steps === 1 ? "" : "s"})`;
}

/** Up to 12 names, then an ellipsis. */
function shortList(names: readonly string[]): string {
  return `${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}`;
}

/** A resumed conditional run trains on the classes it recorded (`extra.classes`), in the same order. */
async function checkResumedClasses(options: TrainCommandOptions, classes: readonly string[]): Promise<void> {
  const recorded = (await readRunConfig(options.out, RunExtraSchema)).extra?.classes;
  if (recorded && recorded.join("\u0000") !== classes.join("\u0000")) {
    throw new Error(`--resume: ${options.data} has the classes ${shortList(classes)}, but the run in ${options.out} trained on ${shortList(recorded)}; resume with the same class sub-folders`);
  }
}

/**
 * A checkpoint `--resume` cannot load, in command-line terms: which one and why, and the command that resumes from
 * the previous good one (`--from`). Nothing falls back silently: the later steps would be lost without a word.
 */
function unusableCheckpoint(e: UnusableCheckpointError, options: TrainCommandOptions): Error {
  const head = `--resume: checkpoint ${e.location} cannot be resumed: ${e.reason}`;
  if (e.previous === undefined) return new Error(`${head}; no older checkpoint in ${options.out} reads back complete`, { cause: e });
  const overrideFlags = { epochs: "--epochs", gLr: "--g-lr", dLr: "--d-lr" } as const;
  const overrides = (Object.keys(overrideFlags) as Array<keyof typeof overrideFlags>)
    .filter((k) => options[k] !== undefined && (options.given ? options.given.has(k) : true))
    .map((k) => ` ${overrideFlags[k]} ${options[k]}`)
    .join("");
  const command = `gan train --resume --out ${options.out} --data ${options.data} --from ${e.previous}${overrides}`;
  return new Error(`${head}\nthe previous good checkpoint is ${e.previous}; resume from it (the later steps are trained again) with:\n  ${command}`, { cause: e });
}
