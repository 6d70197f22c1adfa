/**
 * `@gan/trainer/node`: the Node.js parts of the trainer. Run folders (`train()`, `config.json`,
 * `metrics.jsonl`), checkpoints on disk ({@link FileCheckpointStore}: atomic folders and a `latest` pointer),
 * the pictures of a run (image grids, attention figures, line charts, and their PNG encoding with sharp), and the
 * callbacks that write files (metrics log, sample grids, attention maps, loss plot). Everything else is in the browser-safe main entry, `@gan/trainer`.
 *
 * @packageDocumentation
 */
export { train, defaultCallbacks, type TrainOptions, type TrainRunResult, type DefaultCallbackOptions } from "./run/train";
export {
  CONFIG_FILE,
  type RunConfig,
  type ResumeRecord,
  type ResumeOverrides,
  RESUME_OVERRIDABLE,
  runConfig,
  readRunConfig,
  resumeOverrides,
  resumedRunConfig,
  packageVersions,
} from "./run/run-config";
export { METRICS_FILE, type MetricsRecord, parseMetrics, readMetrics } from "./run/metrics-file";
export { RunConfigSchema, runConfigSchema } from "./run/run-config-schema";
export { MetricsRecordSchema } from "./run/metrics-record-schema";

export {
  FileCheckpointStore,
  CHECKPOINTS_DIR,
  LATEST_FILE,
  writeCheckpoint,
  readCheckpoint,
  listCheckpoints,
  latestCheckpoint,
  pruneCheckpoints,
} from "./file-checkpoint-store";
export { writeFileAtomic, fsyncDir } from "./atomic-fs";

export { metricsLog, type MetricsLogOptions } from "./callbacks/metrics-log";
export { sampleImages, type SampleImagesOptions } from "./callbacks/sample-images";
export { attentionMaps, type AttentionMapsOptions } from "./callbacks/attention-maps";
export { lossPlot, type LossPlotOptions } from "./callbacks/loss-plot";
export { encodePng, svgToPng } from "./png";

// Pictures of a run: image grids, colormaps, attention figures and line charts (pure data, encoded to PNG above).
export { epochFileName, stepFileName } from "../callbacks/schedule";
export { type RgbImage, type Rgb, imagesToRgb, tileGrid, resizeNearest, stackVertical } from "../image/rgb-image";
export { type Colormap, reds, colorize } from "../image/colormap";
export { attentionFigure, type AttentionFigureOptions, type RelativePixel, queryIndex } from "../image/attention-figure";
export { lineChartSvg, type ChartSeries, type LineChartOptions } from "../plot/line-chart";
