/**
 * `@gan/cli`: the `gan` command (prepare, train, sample, eval, export-web, info, demo), also usable as a library.
 *
 * @packageDocumentation
 */
export { main, createProgram } from "./main";
export { trainCommand, type TrainCommandOptions, type CommandIO } from "./commands/train";
export { prepareCommand, type PrepareCommandOptions, DATASETS } from "./commands/prepare";
export { sampleCommand, type SampleCommandOptions } from "./commands/sample";
export { exportWebCommand, type ExportWebOptions, type WebManifest, type WebManifestAttention, WEB_MANIFEST } from "./commands/export-web";
export { infoCommand } from "./commands/info";
export { demoCommand, DEMO_RECIPE, type DemoCommandOptions } from "./commands/demo";
export { buildModels, lossFor, latentGapSpec, MODELS, LOSSES, type LatentGapSpec, type ModelName, type ModelSpec } from "./models";
export { openImageSource, type ImageSourceOptions } from "./image-source";
export { progressBar } from "./progress-bar";
export { loadPlugins } from "./plugins";
export {
  trainingSetup,
  resumedTrainingSetup,
  resolvedTrainingSetup,
  defaultLoss,
  applyTrainingSetup,
  checkDiffAugmentPolicy,
  formatTrainingSetup,
  type TrainingFlags,
  type TrainingSetup,
  type AppliedTrainingSetup,
  type LossName,
  DEFAULT_DIFF_AUGMENT,
  DIFF_AUGMENT_OPS,
  DEFAULT_EMA_DECAY,
  DEFAULT_EVAL_N,
  DEFAULT_G_LR,
  DEFAULT_D_LR,
  DEFAULT_D_STEPS,
  EMA_SAMPLES_FOLDER,
  DIFF_AUGMENT_STATE_FILE,
} from "./training-setup";
