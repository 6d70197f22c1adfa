/**
 * `@gan/trainer`: trains a GAN generator against its discriminator on TensorFlow.js, the way the reference's
 * `train_model` does, with plugins (callbacks) for metrics, sample grids, EMA and atomic, resumable
 * checkpoints in a {@link CheckpointStore}.
 *
 * This entry imports no Node built-in and no native module: it runs in a browser, a Web Worker and Node
 * alike. The file-system parts (run folders and `train()`, checkpoints on disk, PNG figures, the callbacks
 * that write files) are in `@gan/trainer/node`.
 *
 * @packageDocumentation
 */
export { GanTrainer } from "./gan-trainer";
export type { TrainResult } from "./training-loop";
export { type StepValues, type RealBatch, ganIteration } from "./gan-iteration";
export { type GanTrainerOptions, type ResolvedTrainerOptions, type ScoreKind, resolveTrainerOptions, resolveLoss, TRAINER_DEFAULTS } from "./options";
export type { TrainerCallback, TrainerContext, TrainEnd, CheckpointFileMap } from "./callback";
export { type DataSource, type DataBatch, type LabelledBatch, type ArrayDataSourceOptions, arrayDataSource, batchImages, batchLabels, stepsPerEpoch } from "./data-source";
export { dataLoaderSource, type BatchLoader, type BatchLoaderState } from "./data-loader-source";
export { type StepMetrics, type EpochMetrics, type EpochTotals, emptyEpochTotals, addStep, epochMetrics } from "./metrics";
export {
  DEFAULT_MAX_LOSS,
  DivergenceError,
  ExplodingLossError,
  NonFiniteCheckpointError,
  NonFiniteLossError,
  formatValue,
  type DivergenceDetails,
  type NonFiniteCheckpointDetails,
  type NonFiniteLossDetails,
  type NonFiniteTensor,
} from "./errors";
export { discriminatorStep, generatorStep, conditionalClasses, drawLabels, type StepParts, type DiscriminatorStepResult, type GeneratorStepResult } from "./gan-step";
export { createAdam, FusedAdamOptimizer, applyOrderedGradients, exportAdamState, importAdamState, type AdamSettings } from "./adam";
export { leanVariableGrads } from "./lean-variable-grads";
export { FixedNoise, fixedLabels, generateInEvalMode } from "./sampler";

export {
  STATE_FILE,
  type CheckpointFiles,
  type CheckpointStore,
  checkpointName,
  checkpointStep,
  checkCheckpointFileName,
} from "./checkpoint/checkpoint-store";
export {
  CHECKPOINT_FILES,
  type TrainerCheckpointState,
  type TrainingPosition,
  type TrainingParts,
  type Optimizers,
  exportTrainingState,
  importTrainingState,
} from "./checkpoint/training-state";
export { UnusableCheckpointError, previousGoodCheckpoint, checkpointProblem } from "./checkpoint/unusable-checkpoint";
export { MemoryCheckpointStore } from "./checkpoint/memory-checkpoint-store";
export { IndexedDbCheckpointStore, type IndexedDbCheckpointStoreOptions, type IdbFactoryLike } from "./checkpoint/indexeddb-checkpoint-store";

export { checkpointing, type CheckpointingOptions } from "./callbacks/checkpointing";
export { progressLog, type ProgressLogOptions } from "./callbacks/progress-log";
export { ModelEma, type ModelEmaOptions } from "./ema";
export { generatorEma, EMA_GENERATOR_FILE, type GeneratorEmaOptions, type GeneratorEmaCallback } from "./callbacks/ema";
export { TrainerCheckpointStateSchema, RandomStateSchema, type CheckedCheckpointState, checkCheckpointState } from "./checkpoint/state-schema";
export { InvalidFileError, FILE_LIMITS, validateFile, parseJsonFile, describeIssue, fileObject, intIn, numberIn, count, finite, text } from "./validation";
