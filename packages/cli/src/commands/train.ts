import { selectBackend, type BackendName } from "@gan/backend";
import { withLeCam } from "@gan/losses";
import { type TrainRunResult, readRunConfig, train } from "@gan/trainer";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openImageSource } from "../image-source";
import { buildModels, lossFor, type ModelSpec } from "../models";
import { loadPlugins } from "../plugins";
import { progressBar } from "../progress-bar";
import {
  type TrainingFlags,
  type TrainingSetup,
  applyTrainingSetup,
  formatTrainingSetup,
  resolvedTrainingSetup,
  resumedTrainingSetup,
  trainingSetup,
} from "../training-setup";

/**
 * Options of `gan train`. The training options ({@link TrainingFlags}: `ema`, `emaDecay`, `emaStart`,
 * `diffAugment`, `diffAugmentTranslation`, `lecam`, `evalEvery`, `evalN`, `beta1`, `beta2`, `loss`, `gLr`, `dLr`, `dSteps`) are recorded in
 * `config.json` under `extra.training` (the loss, learning rates and D steps with their defaults filled in);
 * a resumed run keeps the recorded EMA, DiffAugment, betas, loss, learning rates and D steps.
 */
export interface TrainCommandOptions extends ModelSpec, TrainingFlags {
  data: string;
  epochs: number;
  batchSize: number;
  out: string;
  backend: BackendName;
  /** wasm backend threads: 1–8, or `"auto"` (the default: one per idle logical CPU, at most 8). */
  threads?: number | "auto";
  resume: boolean;
  sampleEvery: number;
  checkpointEvery: number;
  keep: number;
  /** Stop (with a checkpoint) after this many minutes. */
  maxMinutes?: number;
  plugin: string[];
  /** No progress bar (tests, logs). */
  quiet?: boolean;
}

/** Output streams of a command, so tests can capture them. */
export interface CommandIO {
  /** Writes one line of normal output (stdout by default). */
  log(message: string): void;
  /** Where errors, warnings and the progress bar go (stderr by default). */
  stderr: NodeJS.WriteStream;
}

/** The {@link ModelSpec} fields that flags set only when given (absent: the default). */
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
 * `gan train`: opens the image folder, builds the model, picks the backend, and trains with the standard run
 * folder (config.json, metrics.jsonl, samples/, attention/, losses.png, checkpoints/). Ctrl-C or
 * `--max-minutes` stop after the current step with a checkpoint; `--resume` continues from it.
 */
export async function trainCommand(options: TrainCommandOptions, io: CommandIO): Promise<TrainRunResult> {
  await loadPlugins(options.plugin);
  let recordedSetup: TrainingSetup | undefined;
  if (options.resume && existsSync(join(options.out, "config.json"))) {
    // A resumed run rebuilds the models and the training setup exactly as the run recorded them.
    const extra = (await readRunConfig(options.out)).extra ?? {};
    const recorded = extra.model as ModelSpec | undefined;
    if (recorded) {
      // The record is the whole model: an optional field it lacks is the default, whatever a flag says now.
      for (const key of OPTIONAL_MODEL_FIELDS) {
        const given = key === "generatorSpectralNorm" && options[key] === true ? undefined : options[key]; // true: the default.
        const kept = key === "workingSize" ? (recorded[key] ?? 64) : recorded[key]; // recorded only when 32
        if (given !== undefined && JSON.stringify(given) !== JSON.stringify(kept)) {
          io.stderr.write(`--resume: keeping ${keptModelSetting(key, recorded[key], given)}\n`);
        }
        delete options[key];
      }
      Object.assign(options, recorded);
    }
    recordedSetup = extra.training as TrainingSetup | undefined;
  }
  const given = trainingSetup(options, options.channels);
  const setup = resolvedTrainingSetup(
    recordedSetup ? resumedTrainingSetup(given, recordedSetup, (m) => io.stderr.write(`${m}\n`)) : given,
    options.model,
  );
  // The data first: a wrong path fails before anything slow starts.
  const data = await openImageSource(options.data, {
    batchSize: options.batchSize,
    seed: options.seed,
    channels: options.channels,
    size: 64,
  });
  const backend = await selectBackend(options.backend, {
    log: io.log,
    warn: (m) => io.stderr.write(`${m}\n`),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  io.log(`data: ${data.length} images in ${options.data}, ${data.batchesPerEpoch} batches of up to ${options.batchSize}`);
  const spec: ModelSpec = {
    model: options.model,
    zDim: options.zDim,
    width: options.width,
    channels: options.channels,
    seed: options.seed,
    ...(options.attention ? { attention: options.attention } : {}),
    ...(options.attentionAfter ? { attentionAfter: options.attentionAfter } : {}),
    ...(options.discriminatorAttentionAfter ? { discriminatorAttentionAfter: options.discriminatorAttentionAfter } : {}),
    ...(options.generatorSpectralNorm === false ? { generatorSpectralNorm: false } : {}),
    ...(options.workingSize === 32 ? { workingSize: 32 as const } : {}),
    ...(options.latentGap ? { latentGap: options.latentGap } : {}),
  };
  const { generator, discriminator } = buildModels(spec);
  const applied = applyTrainingSetup(setup, discriminator, { seed: options.seed, sampleEvery: options.sampleEvery });
  io.log(`training: ${formatTrainingSetup(setup)}`);
  const baseLoss = lossFor(options.model, setup.loss);
  const lecam = setup.lecam === undefined ? undefined : withLeCam(baseLoss, { weight: setup.lecam });

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.log("\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const timer = options.maxMinutes
    ? setTimeout(() => {
        io.log(`\n--max-minutes ${options.maxMinutes} reached: stopping after this step`);
        controller.abort();
      }, options.maxMinutes * 60_000)
    : undefined;
  try {
    const result = await train({
      generator,
      discriminator,
      loss: lecam ?? baseLoss,
      data,
      epochs: options.epochs,
      seed: options.seed,
      ...(setup.gLr !== undefined ? { gLr: setup.gLr } : {}),
      ...(setup.dLr !== undefined ? { dLr: setup.dLr } : {}),
      ...(setup.dSteps !== undefined ? { dSteps: setup.dSteps } : {}),
      ...(setup.beta1 !== undefined ? { beta1: setup.beta1 } : {}),
      ...(setup.beta2 !== undefined ? { beta2: setup.beta2 } : {}),
      runDir: options.out,
      resume: options.resume,
      signal: controller.signal,
      samples: { everyEpochs: options.sampleEvery },
      attention: { everyEpochs: options.sampleEvery },
      checkpoints: { everyEpochs: options.checkpointEvery, keep: options.keep },
      callbacks: [...applied.callbacks, ...(options.quiet ? [] : [progressBar(io.stderr)])],
      config: { model: spec, training: setup, data: options.data, backend },
    });
    io.log(`${result.status}: ${result.step} steps; pictures and checkpoints in ${options.out}`);
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSigint);
    applied.dispose();
    lecam?.dispose();
    generator.dispose();
    discriminator.dispose();
  }
}
