import { type Random, type RandomState, decodeSafetensors, encodeSafetensorsAsync } from "@gan/layers";
import type { GanDiscriminator, GanGenerator, GanLoss, TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { createAdam, exportAdamState, importAdamState } from "../adam";
import type { DataSource } from "../data-source";
import { NonFiniteCheckpointError } from "../errors";
import { type EpochTotals, emptyEpochTotals } from "../metrics";
import type { ResolvedTrainerOptions } from "../options";
import { type CheckpointFiles, STATE_FILE } from "./checkpoint-store";
import { findNonFinite } from "./finite-check";
import { checkCheckpointState } from "./state-schema";

/** What a checkpoint's `state.json` holds. */
export interface TrainerCheckpointState {
  format: "gan-toolkit/trainer-checkpoint";
  version: 1;
  /** Iterations completed. */
  step: number;
  /** The epoch to continue in (0-based; equal to the epochs run when the checkpoint ends an epoch). */
  epoch: number;
  /** Batches of `epoch` already consumed. */
  batchInEpoch: number;
  /** State of the latent-code RNG. */
  random: RandomState;
  /** The data source's state at the start of `epoch` (absent when the source has no `getState`). */
  data?: unknown;
  /** The loss's state (absent when the loss has no `getState`, as the stateless hinge and BCE). */
  loss?: unknown;
  /** Running sums of `epoch`'s steps so far. */
  epochTotals: EpochTotals;
  /** The options the run used. */
  options: ResolvedTrainerOptions;
  /**
   * The files each callback saved through `state()`, by callback name (`#index` for unnamed ones). Absent in
   * checkpoints written before callbacks had `state`/`restore`.
   */
  callbackFiles?: Record<string, string[]>;
  /** When it was written, ISO 8601. */
  time: string;
}

/** The trainer's own files inside a checkpoint. */
export const CHECKPOINT_FILES = {
  generator: "generator.safetensors",
  discriminator: "discriminator.safetensors",
  gOptimizer: "optimizer-generator.safetensors",
  dOptimizer: "optimizer-discriminator.safetensors",
} as const;

/** Trainable variables by dotted name, in the optimizer's order. */
export type NamedVariables = Array<[string, tf.Variable]>;

/** Where a run stands: everything of the loop that a checkpoint restores. */
export interface TrainingPosition {
  /** The epoch the next step belongs to. */
  epoch: number;
  /** Batches of `epoch` consumed. */
  batchInEpoch: number;
  /** Iterations completed. */
  step: number;
  /** Running sums of `epoch`'s steps. */
  totals: EpochTotals;
  /** The data source's state at the start of `epoch`. */
  epochStartDataState: unknown;
}

/** What the training state is made of (read to export, written to import). */
export interface TrainingParts {
  generator: GanGenerator;
  discriminator: GanDiscriminator;
  loss: GanLoss;
  data: DataSource;
  random: Random;
  options: ResolvedTrainerOptions;
  gParams: NamedVariables;
  dParams: NamedVariables;
}

/** The two Adams of a run. */
export interface Optimizers {
  g: tf.AdamOptimizer;
  d: tf.AdamOptimizer;
}

/**
 * The whole training state in memory, independent of where it is stored: both models' state dicts and both
 * Adams' state as safetensors bytes, and the RNG, data, loss and position in `state.json` form. Callback
 * files are added by the trainer. Rejects with a {@link NonFiniteCheckpointError} when any of those tensors holds
 * NaN or ±Infinity (such a state is not a good checkpoint).
 */
export async function exportTrainingState(parts: TrainingParts, optimizers: Optimizers, position: TrainingPosition): Promise<CheckpointFiles<TrainerCheckpointState>> {
  const files: Record<string, Uint8Array> = {};
  const gAdam = await exportAdamState(optimizers.g, parts.gParams.map(([n]) => n));
  const dAdam = await exportAdamState(optimizers.d, parts.dParams.map(([n]) => n)).catch((e: unknown) => {
    gAdam.dispose();
    throw e;
  });
  try {
    const tensors = {
      [CHECKPOINT_FILES.generator]: parts.generator.stateDict(),
      [CHECKPOINT_FILES.discriminator]: parts.discriminator.stateDict(),
      [CHECKPOINT_FILES.gOptimizer]: gAdam.tensors,
      [CHECKPOINT_FILES.dOptimizer]: dAdam.tensors,
    };
    // A state with NaN or Inf diverges again at once when resumed: it must never become a checkpoint.
    const nonFinite = await findNonFinite(tensors);
    if (nonFinite.length > 0) {
      const { gLr, dLr } = parts.options;
      throw new NonFiniteCheckpointError({ step: position.step, epoch: position.epoch, gLr, dLr, tensors: nonFinite });
    }
    for (const file of [CHECKPOINT_FILES.generator, CHECKPOINT_FILES.discriminator]) files[file] = await encodeModule(tensors[file]);
    for (const file of [CHECKPOINT_FILES.gOptimizer, CHECKPOINT_FILES.dOptimizer]) {
      files[file] = await encodeSafetensorsAsync(tensors[file], { metadata: { format: "gan-toolkit/adam", ...optimizerMetadata(parts.options, file) } });
    }
  } finally {
    gAdam.dispose();
    dAdam.dispose();
  }
  const state: TrainerCheckpointState = {
    format: "gan-toolkit/trainer-checkpoint",
    version: 1,
    step: position.step,
    epoch: position.epoch,
    batchInEpoch: position.batchInEpoch,
    random: parts.random.getState(),
    epochTotals: { ...position.totals },
    options: { ...parts.options },
    time: new Date().toISOString(),
  };
  if (position.epochStartDataState !== undefined) state.data = position.epochStartDataState;
  const lossState = parts.loss.getState?.();
  if (lossState !== undefined) state.loss = jsonCopy(lossState);
  return { state, files };
}

/**
 * Loads a state from {@link exportTrainingState} into the models, RNG, data source and loss, and returns the
 * new optimizers (the caller disposes the old ones) and position. Checks everything it can before changing
 * anything; `source` names the checkpoint in errors.
 */
export async function importTrainingState(parts: TrainingParts, content: CheckpointFiles<TrainerCheckpointState>, source: string): Promise<{ optimizers: Optimizers; position: TrainingPosition }> {
  const { files } = content;
  const state = checkCheckpointState(content.state, `${source}/${STATE_FILE}`);
  for (const file of Object.values(CHECKPOINT_FILES)) {
    if (!files[file]) throw new Error(`${source}: missing ${file}`);
  }
  if (state.loss !== undefined && !parts.loss.setState) {
    throw new Error(`${source}: the checkpoint holds a state of its loss but the loss '${parts.loss.name}' has no setState()`);
  }
  if (state.data !== undefined && !parts.data.setState) {
    throw new Error(`${source}: the checkpoint holds a data-source state but the data source has no setState()`);
  }
  loadModule(parts.generator, files[CHECKPOINT_FILES.generator], `${source}/${CHECKPOINT_FILES.generator}`);
  loadModule(parts.discriminator, files[CHECKPOINT_FILES.discriminator], `${source}/${CHECKPOINT_FILES.discriminator}`);
  const optimizers = { g: makeOptimizer(parts.options, "g"), d: makeOptimizer(parts.options, "d") };
  try {
    await loadOptimizer(optimizers.g, files[CHECKPOINT_FILES.gOptimizer], parts.gParams, `${source}/${CHECKPOINT_FILES.gOptimizer}`);
    await loadOptimizer(optimizers.d, files[CHECKPOINT_FILES.dOptimizer], parts.dParams, `${source}/${CHECKPOINT_FILES.dOptimizer}`);
  } catch (e) {
    optimizers.g.dispose();
    optimizers.d.dispose();
    throw e;
  }
  parts.random.setState(state.random);
  if (state.data !== undefined) parts.data.setState!(jsonCopy(state.data));
  if (state.loss !== undefined) parts.loss.setState!(jsonCopy(state.loss));
  const position: TrainingPosition = {
    epoch: state.epoch,
    batchInEpoch: state.batchInEpoch,
    step: state.step,
    totals: { ...emptyEpochTotals(), ...state.epochTotals },
    epochStartDataState: jsonCopy(state.data),
  };
  return { optimizers, position };
}

/** A fresh Adam for G or D with the run's settings. */
export function makeOptimizer(o: ResolvedTrainerOptions, which: "g" | "d"): tf.AdamOptimizer {
  return createAdam({ lr: which === "g" ? o.gLr : o.dLr, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
}

/** A module's trainable parameters with their dotted names (indices when it has no `namedParameters`). */
export function trainableParameters(module: TrainableModule, role: string): NamedVariables {
  const withNames = module as TrainableModule & { namedParameters?: () => NamedVariables };
  const named: NamedVariables =
    typeof withNames.namedParameters === "function"
      ? withNames.namedParameters()
      : module.parameters().map((v, i): [string, tf.Variable] => [`param.${i}`, v]);
  const trainable = named.filter(([, v]) => v.trainable);
  if (trainable.length === 0) throw new Error(`GanTrainer: the ${role} has no trainable parameters`);
  return trainable;
}

/** A deep copy of a JSON-serialisable value (undefined stays undefined). */
export function jsonCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** A state dict as safetensors (int32 `num_batches_tracked` as I64, as PyTorch stores it). */
function encodeModule(state: Record<string, tf.Tensor>): Promise<Uint8Array> {
  const int64 = Object.entries(state)
    .filter(([name, t]) => t.dtype === "int32" && name.endsWith("num_batches_tracked"))
    .map(([name]) => name);
  return encodeSafetensorsAsync(state, { int64, metadata: { format: "pt" } });
}

function loadModule(module: TrainableModule, bytes: Uint8Array, source: string): void {
  const { tensors } = decodeSafetensors(bytes, source);
  try {
    module.loadStateDict(tensors);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

async function loadOptimizer(opt: tf.AdamOptimizer, bytes: Uint8Array, params: NamedVariables, source: string): Promise<void> {
  const { tensors } = decodeSafetensors(bytes, source);
  try {
    await importAdamState(opt, tensors, params, source);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

function optimizerMetadata(o: ResolvedTrainerOptions, file: string): Record<string, string> {
  const lr = file === CHECKPOINT_FILES.gOptimizer ? o.gLr : o.dLr;
  return { lr: String(lr), beta1: String(o.beta1), beta2: String(o.beta2), epsilon: String(o.epsilon) };
}
