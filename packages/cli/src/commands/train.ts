import { type BackendName, selectBackend } from "@gan/backend/node";
import { type ModelSpec, type Recipe, type TrainingSetup, getRecipe, resolveTrainingSetup, withOverrides } from "@gan/recipes";
import { trainRecipe } from "@gan/recipes/node";
import { type TrainRunResult, readRunConfig } from "@gan/trainer/node";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openImageSource } from "../image-source";
import { inFlagTerms } from "../models";
import { loadPlugins } from "../plugins";
import { progressBar } from "../progress-bar";
import { type TrainingFlags, formatTrainingSetup, resumedTrainingSetup, trainingSetup } from "../training-setup";

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
  /** wasm backend threads: 1–8, or `"auto"` (the default: one per idle logical CPU, at most 8). */
  threads?: number | "auto";
  seed: number;
  resume: boolean;
  /** Sample grids and attention maps every this many epochs. */
  sampleEvery: number;
  checkpointEvery: number;
  keep: number;
  /** Stop (with a checkpoint) after this many minutes. */
  maxMinutes?: number;
  plugin: string[];
  /** No progress bar (tests, logs). */
  quiet?: boolean;
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

/** The model fields a flag sets only when given (absent: the recipe's). */
const MODEL_FIELDS = ["model", "zDim", "width", "channels", "attention", "attentionAfter", "discriminatorAttentionAfter", "generatorSpectralNorm", "workingSize", "latentGap"] as const;
/** Those the record of a resumed run keeps whatever a flag says (the shape of the nets). */
const OPTIONAL_MODEL_FIELDS = ["attention", "attentionAfter", "discriminatorAttentionAfter", "generatorSpectralNorm", "workingSize", "latentGap"] as const;

/**
 * Why a flag given on `--resume` is ignored: `the recorded --attention-after setting (3,4), not 3`,
 * `the recorded generator with spectral norm, not without (--no-g-spectral-norm)`.
 */
function keptModelSetting(key: (typeof OPTIONAL_MODEL_FIELDS)[number], recorded: unknown, given: unknown): string {
  if (key === "workingSize") return `the recorded --working-size ${recorded ?? 64}, not ${given}`;
  if (key === "latentGap") {
    const show = (v: unknown) => (v === undefined ? "none" : JSON.stringify(v));
    return `the recorded --latent-gap setting (${show(recorded)}), not ${show(given)}`;
  }
  if (key === "generatorSpectralNorm") {
    const show = (v: unknown) => (v === false ? "without (--no-g-spectral-norm)" : "with");
    return `the recorded generator ${show(recorded)} spectral norm, not ${show(given)}`;
  }
  const flag = { attention: "--attention", attentionAfter: "--attention-after", discriminatorAttentionAfter: "--d-attention-after" }[key];
  const show = (v: unknown) => {
    if (v === undefined) return { attention: "the reference's self-attention", attentionAfter: "3,4", discriminatorAttentionAfter: "as --attention-after" }[key];
    return Array.isArray(v) ? (v.length === 0 ? "none" : v.join(",")) : String(v);
  };
  return `the recorded ${flag} setting (${show(recorded)}), not ${show(given)}`;
}

/**
 * The recipe `gan train` runs: the named one (or the article's recipe of `--model`) with the flags given laid over
 * it; on `--resume`, the model and training setup the run recorded, with a warning for each flag that disagrees.
 */
async function recipeOf(options: TrainCommandOptions, io: CommandIO): Promise<{ recipe: Recipe; seed: number }> {
  let base = getRecipe(options.recipe ?? options.model ?? "sagan");
  const modelFlags: Partial<Omit<ModelSpec, "seed">> = {};
  for (const key of MODEL_FIELDS) {
    // --no-g-spectral-norm's absence reads as true: the default, not an override.
    if (key === "generatorSpectralNorm" && options[key] === true) continue;
    if (options[key] !== undefined) Object.assign(modelFlags, { [key]: options[key] });
  }
  let seed = options.seed;
  let recordedTraining: TrainingSetup | undefined;
  if (options.resume && existsSync(join(options.out, "config.json"))) {
    // A resumed run rebuilds the models and the training setup exactly as the run recorded them.
    const extra = (await readRunConfig(options.out)).extra ?? {};
    if (typeof extra.recipe === "string" && options.recipe === undefined) base = getRecipe(extra.recipe);
    const recorded = extra.model as ModelSpec | undefined;
    if (recorded) {
      // The record is the whole model: an optional field it lacks is the default, whatever a flag says now.
      for (const key of OPTIONAL_MODEL_FIELDS) {
        const given = modelFlags[key];
        const kept = key === "workingSize" ? (recorded[key] ?? 64) : recorded[key]; // recorded only when 32
        if (given !== undefined && JSON.stringify(given) !== JSON.stringify(kept)) {
          io.stderr.write(`--resume: keeping ${keptModelSetting(key, recorded[key], given)}\n`);
        }
      }
      const { seed: recordedSeed, ...model } = recorded;
      seed = recordedSeed;
      base = { ...base, model };
      for (const key of MODEL_FIELDS) delete modelFlags[key];
    }
    recordedTraining = extra.training as TrainingSetup | undefined;
  }
  const given = trainingSetup(options, options.channels ?? base.model.channels, recordedTraining ?? base.training);
  const recipe = withOverrides(base, {
    model: modelFlags,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
  });
  // A resumed run keeps its recorded setup (a disagreeing flag is reported and ignored); a new one lays the flags
  // over the recipe's.
  const training = recordedTraining
    ? resumedTrainingSetup(given, recordedTraining, (m) => io.stderr.write(`${m}\n`))
    : { ...recipe.training, ...given };
  return { recipe: { ...recipe, training }, seed };
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
  // The data first: a wrong path fails before anything slow starts.
  const data = await openImageSource(options.data, { batchSize: recipe.batchSize, seed, channels: recipe.model.channels, size: 64 });
  const backend = await selectBackend(options.backend, {
    log: io.log,
    warn: (m) => io.stderr.write(`${m}\n`),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  io.log(`data: ${data.length} images in ${options.data}, ${data.batchesPerEpoch} batches of up to ${recipe.batchSize}`);
  io.log(`training: recipe ${recipe.name}, ${formatTrainingSetup(training)}`);

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
      signal: controller.signal,
      sampleEvery: options.sampleEvery,
      checkpointEvery: options.checkpointEvery,
      keep: options.keep,
      progress: false,
      callbacks: options.quiet ? [] : [progressBar(io.stderr)],
      config: { data: options.data, backend },
    }).catch((e: unknown) => {
      throw inFlagTerms(e);
    });
    const resume = `'gan train --resume --out ${options.out}' continues it`;
    if (result.status === "completed") io.log(`completed: ${result.step} steps; pictures and checkpoints in ${options.out}`);
    else if (stoppedBy === "time") io.log(`stopped at --max-minutes ${options.maxMinutes}: ${result.step} steps; pictures and checkpoints in ${options.out} (${resume})`);
    else io.log(`interrupted: ${result.step} steps; pictures and checkpoints in ${options.out} (${resume})`);
    return { ...result, ...(result.status === "aborted" ? { stoppedBy: stoppedBy ?? "interrupt" } : {}) };
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSigint);
  }
}
