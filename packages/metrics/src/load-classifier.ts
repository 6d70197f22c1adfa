import * as fs from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ImageClassifier } from "./classifier";
import { DIGIT_CLASSIFIER_WEIGHTS, type MetricDatasetName, metricDataset } from "./datasets";

/**
 * The shipped classifier of a data set of `METRIC_DATASETS` (default `"mnist"`: the digit classifier), its
 * weights read from the package's `weights/` folder. Node only.
 */
export async function loadClassifier(dataset: MetricDatasetName = "mnist"): Promise<ImageClassifier> {
  const weights = metricDataset(dataset).weights;
  const bytes = await fs.readFile(fileURLToPath(weights)).catch((e: Error) => {
    throw new Error(`loadClassifier: cannot read the ${dataset} classifier's weights ${fileURLToPath(weights)}: ${e.message}`);
  });
  return ImageClassifier.load(bytes);
}

/** The shipped digit classifier, its weights read from the package's `weights/` folder: `loadClassifier("mnist")`. Node only. */
export async function loadDigitClassifier(): Promise<ImageClassifier> {
  return ImageClassifier.load(await fs.readFile(fileURLToPath(DIGIT_CLASSIFIER_WEIGHTS)));
}
