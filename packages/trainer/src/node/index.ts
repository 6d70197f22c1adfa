/**
 * `@gan/trainer/node`: the Node.js parts of the trainer. Run folders (`train()`, `config.json`,
 * `metrics.jsonl`), checkpoints on disk ({@link FileCheckpointStore}: atomic folders and a `latest` pointer),
 * PNG encoding with sharp, and the callbacks that write files (metrics log, sample grids, attention maps,
 * loss plot). Everything else is in the browser-safe main entry, `@gan/trainer`.
 *
 * @packageDocumentation
 */
export { train, defaultCallbacks, type TrainOptions, type TrainRunResult, type DefaultCallbackOptions } from "./run/train";
export { CONFIG_FILE, type RunConfig, runConfig, readRunConfig, packageVersions } from "./run/run-config";
export { METRICS_FILE, type MetricsRecord, parseMetrics, readMetrics } from "./run/metrics-file";

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
