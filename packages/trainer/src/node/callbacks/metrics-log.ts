import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { TrainerCallback, TrainerContext } from "../../callback";
import { writeFileAtomic } from "../atomic-fs";
import { METRICS_FILE, readMetrics, recordsBefore } from "../run/metrics-file";
import { requireRunDir } from "./run-file";

/** Options of {@link metricsLog}. */
export interface MetricsLogOptions {
  /** File name inside the run folder (default `metrics.jsonl`). */
  file?: string;
}

/**
 * Appends one JSON line per step (`"type": "step"`) and per epoch (`"type": "epoch"`) to the run's
 * `metrics.jsonl` (see {@link StepMetrics} and {@link EpochMetrics} for the fields). A fresh run starts the
 * file empty; a resumed run first drops the lines written after its checkpoint, so the file reads like an
 * unbroken run's.
 */
export function metricsLog(options: MetricsLogOptions = {}): TrainerCallback {
  let file = "";
  const append = (record: unknown) => fs.appendFile(file, `${JSON.stringify(record)}\n`);
  return {
    name: "metrics",
    async onTrainStart(ctx: TrainerContext) {
      file = path.join(requireRunDir(ctx, "metricsLog"), options.file ?? METRICS_FILE);
      await fs.mkdir(path.dirname(file), { recursive: true });
      const kept = ctx.resumed ? recordsBefore(await readMetrics(file), ctx.startStep, ctx.epoch) : [];
      await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    },
    onBatchEnd: (_ctx, metrics) => append(metrics),
    onEpochEnd: (_ctx, metrics) => append(metrics),
  };
}
