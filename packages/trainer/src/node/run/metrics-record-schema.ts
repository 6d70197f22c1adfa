import * as v from "valibot";
import { count, fileObject, text } from "../../validation";

/**
 * The schema of one line of `metrics.jsonl`: a `step` or `epoch` record of the trainer, or one of a callback
 * (`eval` of `@gan/metrics`). What the readers use (the type, the step and the epoch) is checked; the values
 * (losses, which JSON writes as null when NaN) are kept as written.
 */
export const MetricsRecordSchema = fileObject(
  v.looseObject({
  type: text(),
  epoch: count(),
  step: count(),
  }),
);
