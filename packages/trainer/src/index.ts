/**
 * `@gan/trainer`: trains a GAN generator against its discriminator on TensorFlow.js, the way the reference's
 * `train_model` does, with plugins (callbacks) for metrics, sample grids, attention maps, loss plots and
 * atomic, resumable checkpoints.
 *
 * @packageDocumentation
 */
export { GanTrainer, CHECKPOINT_FILES, type StepValues, type TrainResult, type TrainerCheckpointState } from "./gan-trainer";
export { type GanTrainerOptions, type ResolvedTrainerOptions, type ScoreKind, resolveTrainerOptions, resolveLoss } from "./options";
export type { TrainerCallback, TrainerContext, TrainEnd, CheckpointFileMap } from "./callback";
export { type DataSource, type ArrayDataSourceOptions, arrayDataSource } from "./data-source";
export { dataLoaderSource, type BatchLoader, type BatchLoaderState } from "./data-loader-source";
export { type StepMetrics, type EpochMetrics, type EpochTotals, emptyEpochTotals, addStep, epochMetrics } from "./metrics";
export { NonFiniteLossError, type NonFiniteLossDetails } from "./errors";
export { discriminatorStep, generatorStep, type StepParts, type DiscriminatorStepResult, type GeneratorStepResult } from "./gan-step";
export { createAdam, applyOrderedGradients, exportAdamState, importAdamState, type AdamSettings } from "./adam";

export {
  CHECKPOINTS_DIR,
  LATEST_FILE,
  STATE_FILE,
  type CheckpointFiles,
  checkpointName,
  checkCheckpointFileName,
  writeCheckpoint,
  readCheckpoint,
  listCheckpoints,
  latestCheckpoint,
  pruneCheckpoints,
} from "./checkpoint/checkpoint-store";
export { writeFileAtomic, fsyncDir } from "./checkpoint/atomic-fs";

export { metricsLog, type MetricsLogOptions } from "./callbacks/metrics-log";
export { sampleImages, type SampleImagesOptions } from "./callbacks/sample-images";
export { attentionMaps, type AttentionMapsOptions } from "./callbacks/attention-maps";
export { lossPlot, type LossPlotOptions } from "./callbacks/loss-plot";
export { checkpointing, type CheckpointingOptions } from "./callbacks/checkpointing";
export { epochFileName } from "./callbacks/epoch-file";

export { train, defaultCallbacks, type TrainOptions, type TrainRunResult, type DefaultCallbackOptions } from "./run/train";
export { CONFIG_FILE, type RunConfig, runConfig, readRunConfig, packageVersions } from "./run/run-config";
export { METRICS_FILE, type MetricsRecord, parseMetrics, readMetrics } from "./run/metrics-file";

export { type RgbImage, type Rgb, imagesToRgb, tileGrid, resizeNearest, stackVertical } from "./image/rgb-image";
export { type Colormap, reds, colorize } from "./image/colormap";
export { attentionFigure, type AttentionFigureOptions, type RelativePixel, queryIndex } from "./image/attention-figure";
export { encodePng, svgToPng } from "./image/png";
export { lineChartSvg, type ChartSeries, type LineChartOptions } from "./plot/line-chart";
export { ModelEma, type ModelEmaOptions } from "./ema";
export { generatorEma, EMA_GENERATOR_FILE, type GeneratorEmaOptions, type GeneratorEmaCallback } from "./callbacks/ema";
