/**
 * `@gan/cli`: the `gan` command (prepare, train, sample, eval, export-web, import-torch, export-torch, info, demo), also
 * usable as a library.
 *
 * @packageDocumentation
 */
export { main, createProgram } from "./main";
export { trainCommand, type TrainCommandOptions, type TrainCommandResult, type CommandIO } from "./commands/train";
export { prepareCommand, type PrepareCommandOptions, DATASETS, DEFAULT_PREPARE_OUT } from "./commands/prepare";
export { sampleCommand, type SampleCommandOptions } from "./commands/sample";
export { exportWebCommand, type ExportWebOptions, type WebManifest, type WebManifestAttention, WEB_MANIFEST } from "./commands/export-web";
export {
  importTorchCommand,
  type ImportTorchOptions,
  type ImportTorchResult,
  GENERATOR_KEYS,
  DISCRIMINATOR_KEYS,
  IMPORTED_CHECKPOINT_FORMAT,
} from "./commands/import-torch";
export { exportTorchCommand, type ExportTorchOptions, type ExportTorchResult } from "./commands/export-torch";
export { infoCommand } from "./commands/info";
export { demoCommand, type DemoCommandOptions } from "./commands/demo";
export { generatorOf, inFlagTerms } from "./models";
export { openImageSource, type ImageSourceOptions } from "./image-source";
export { progressBar } from "./progress-bar";
export { loadPlugins } from "./plugins";
export {
  trainingSetup,
  resumedTrainingSetup,
  type ResumeConflict,
  checkDiffAugmentPolicy,
  formatTrainingSetup,
  type TrainingFlags,
  type TrainingSetup,
  DEFAULT_DIFF_AUGMENT,
  DIFF_AUGMENT_OPS,
  DEFAULT_EMA_DECAY,
  DEFAULT_EVAL_N,
  ARTICLE_DEFAULTS,
} from "./training-setup";
