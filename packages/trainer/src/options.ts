import { lossByName } from "@gan/losses";
import type { GanDiscriminator, GanGenerator, GanLoss } from "@gan/spec";
import type { TrainerCallback } from "./callback";
import type { CheckpointStore } from "./checkpoint/checkpoint-store";
import type { DataSource } from "./data-source";
import { DEFAULT_MAX_LOSS } from "./errors";

/** How the trainer turns D's logits into the `dReal` / `dFake` metrics. */
export type ScoreKind = "sigmoid" | "logits";

/** Options of {@link GanTrainer}. Only the models, the loss, the data and `epochs` are required. */
export interface GanTrainerOptions {
  /** The generator (updated in the G step only). */
  generator: GanGenerator;
  /** The discriminator (updated in the D step only). */
  discriminator: GanDiscriminator;
  /**
   * The objective: `bceLoss()` for the DCGAN reference, `hingeLoss()` for SAGAN's, your own `GanLoss`, or the
   * name of a built-in one (`"bce"`, `"bce-minimax"`, `"hinge"`).
   */
  loss: GanLoss | string;
  /** Real images. */
  data: DataSource;
  /** Epochs to train (a resumed run continues until this many have run). */
  epochs: number;
  /**
   * Seeds the latent codes drawn for training and the fixed noise of sample grids (default 0). Model weights
   * are initialised by the caller (pass a `Random` or seed to the model factories): this seed does not touch them.
   */
  seed?: number;
  /** Generator learning rate (default 1e-4, as the reference). */
  gLr?: number;
  /** Discriminator learning rate (default 4e-4, as the reference). */
  dLr?: number;
  /** Adam β1 for both optimizers (default 0, as the reference). */
  beta1?: number;
  /** Adam β2 for both optimizers (default 0.9, as the reference). */
  beta2?: number;
  /** Adam ε for both optimizers (default 1e-8, PyTorch's). */
  epsilon?: number;
  /**
   * Discriminator steps per generator step (default 1, the reference). Each D step consumes its own real
   * batch, as WGAN's `n_critic`; the G step draws as many latent codes as the last of those batches holds. When
   * an epoch's last group has fewer than `dSteps` batches, the G step follows the ones there are.
   */
  dSteps?: number;
  /** `"sigmoid"` or `"logits"` for the D score metrics; default `"sigmoid"` for losses named `bce*`, else `"logits"`. */
  scores?: ScoreKind;
  /** Rows of the fixed noise that sample grids and attention maps draw from (default 64). */
  fixedNoiseSize?: number;
  /** Plugins: logging, samples, checkpoints... (default none; `train()` wires the standard ones). */
  callbacks?: TrainerCallback[];
  /** The run folder that file-writing callbacks (of `@gan/trainer/node`) write into. */
  runDir?: string;
  /**
   * Where `saveCheckpoint()` (and so `checkpointing()`) writes and `resume()` reads checkpoints:
   * `FileCheckpointStore` of `@gan/trainer/node` for a run folder, {@link MemoryCheckpointStore},
   * {@link IndexedDbCheckpointStore} in a browser. Without one the trainer cannot checkpoint.
   */
  store?: CheckpointStore;
  /** Stops the run after the current step; the run then resolves with status `"aborted"`. */
  signal?: AbortSignal;
  /**
   * The largest absolute D or G loss a step may have (default {@link DEFAULT_MAX_LOSS}, 1e4). A step beyond it
   * stops the run with an `ExplodingLossError`, as a NaN or infinite loss does with a
   * `NonFiniteLossError`, before the state becomes a checkpoint. Healthy runs of the recipes stay in single
   * digits (hinge) or low tens (BCE); `Infinity` turns the check off.
   */
  maxLoss?: number;
}

/** The numeric and string options after defaults: what `config.json` records. */
export interface ResolvedTrainerOptions {
  epochs: number;
  seed: number;
  gLr: number;
  dLr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  dSteps: number;
  scores: ScoreKind;
  fixedNoiseSize: number;
  loss: string;
}

/**
 * The trainer's defaults: the article's Adam settings (learning rates 1e-4 for G and 4e-4 for D, betas (0, 0.9)),
 * one D step per G step, PyTorch's Adam ε and 64 rows of fixed noise. `@gan/recipes` builds its article recipes
 * from these values.
 */
export const TRAINER_DEFAULTS = { gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, dSteps: 1, epsilon: 1e-8, fixedNoiseSize: 64 } as const;

/** The loss a `loss` option names, or the option itself. */
export function resolveLoss(loss: GanLoss | string): GanLoss {
  if (typeof loss === "string") {
    try {
      return lossByName(loss);
    } catch (e) {
      throw new Error(`GanTrainer: option 'loss': ${(e as Error).message}`);
    }
  }
  if (typeof loss?.discriminatorLoss !== "function" || typeof loss.generatorLoss !== "function") {
    throw new Error("GanTrainer: option 'loss' must be a GanLoss (discriminatorLoss and generatorLoss) or a loss name");
  }
  return loss;
}

/** Applies defaults and checks every option, naming the one that is wrong. */
export function resolveTrainerOptions(options: GanTrainerOptions): ResolvedTrainerOptions {
  const where = "GanTrainer";
  for (const key of ["generator", "discriminator", "loss", "data"] as const) {
    if (options[key] == null) throw new Error(`${where}: option '${key}' is required`);
  }
  if (typeof options.data.epoch !== "function") {
    throw new Error(`${where}: option 'data' must have an epoch(index) method returning an AsyncIterable of batches`);
  }
  if (!Number.isInteger(options.generator.zDim) || options.generator.zDim < 1) {
    throw new Error(`${where}: the generator's zDim must be a positive integer, got ${options.generator.zDim}`);
  }
  const loss = resolveLoss(options.loss);
  const resolved: ResolvedTrainerOptions = {
    epochs: options.epochs,
    seed: options.seed ?? 0,
    gLr: options.gLr ?? TRAINER_DEFAULTS.gLr,
    dLr: options.dLr ?? TRAINER_DEFAULTS.dLr,
    beta1: options.beta1 ?? TRAINER_DEFAULTS.beta1,
    beta2: options.beta2 ?? TRAINER_DEFAULTS.beta2,
    epsilon: options.epsilon ?? TRAINER_DEFAULTS.epsilon,
    dSteps: options.dSteps ?? TRAINER_DEFAULTS.dSteps,
    scores: options.scores ?? (loss.name.startsWith("bce") ? "sigmoid" : "logits"),
    fixedNoiseSize: options.fixedNoiseSize ?? TRAINER_DEFAULTS.fixedNoiseSize,
    loss: loss.name,
  };
  integer(resolved.epochs, "epochs", 0);
  integer(resolved.seed, "seed", 0);
  integer(resolved.dSteps, "dSteps", 1);
  integer(resolved.fixedNoiseSize, "fixedNoiseSize", 1);
  positive(resolved.gLr, "gLr");
  positive(resolved.dLr, "dLr");
  positive(resolved.epsilon, "epsilon");
  for (const key of ["beta1", "beta2"] as const) {
    const v = resolved[key];
    if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new Error(`${where}: option '${key}' must be in [0, 1), got ${v}`);
  }
  if (resolved.scores !== "sigmoid" && resolved.scores !== "logits") {
    throw new Error(`${where}: option 'scores' must be "sigmoid" or "logits", got ${JSON.stringify(resolved.scores)}`);
  }
  return resolved;
}

/** The `maxLoss` option after its default: a positive number or `Infinity`. */
export function resolveMaxLoss(maxLoss: number | undefined): number {
  const value = maxLoss ?? DEFAULT_MAX_LOSS;
  if (!(typeof value === "number" && value > 0)) throw new Error(`GanTrainer: option 'maxLoss' must be a positive number or Infinity, got ${value}`);
  return value;
}

function integer(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`GanTrainer: option '${name}' must be an integer >= ${min}, got ${value}`);
  }
}

function positive(value: number, name: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`GanTrainer: option '${name}' must be a positive number, got ${value}`);
}
