import * as fs from "node:fs/promises";
import type { EpochMetrics, StepMetrics } from "../../metrics";
import { validateFile } from "../../validation";
import { MetricsRecordSchema } from "./metrics-record-schema";

/** The file of a run folder holding one JSON line per step and per epoch. */
export const METRICS_FILE = "metrics.jsonl";

/** One line of `metrics.jsonl`. */
export type MetricsRecord = StepMetrics | EpochMetrics;

/**
 * Parses `metrics.jsonl` content, each line checked against {@link MetricsRecordSchema}; a line that is not JSON
 * or not a record is an error naming the file, the line number and the field (`metrics.jsonl:3: step: expected …`).
 */
export function parseMetrics(text: string, source = METRICS_FILE): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: not a JSON line (${(e as Error).message})`);
    }
    out.push(validateFile(MetricsRecordSchema, value, `${source}:${i + 1}`) as unknown as MetricsRecord);
  });
  return out;
}

/** Reads and parses a `metrics.jsonl` file; a missing file reads as no records. */
export async function readMetrics(file: string): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return parseMetrics(text, file);
}

/**
 * The records a run resumed at (`step`, `epoch`) keeps: steps up to `step`, and epochs before `epoch` (an
 * epoch the checkpoint is inside of, or ends exactly at its last batch, is logged again when it ends).
 */
export function recordsBefore(records: readonly MetricsRecord[], step: number, epoch: number): MetricsRecord[] {
  return records.filter((r) => (r.type === "epoch" ? r.epoch < epoch : r.step <= step));
}
