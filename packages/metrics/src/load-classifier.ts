import * as fs from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { DIGIT_CLASSIFIER_WEIGHTS, DigitClassifier } from "./classifier";

/** The shipped digit classifier, its weights read from the package's `weights/` folder. Node only. */
export async function loadDigitClassifier(): Promise<DigitClassifier> {
  return DigitClassifier.load(await fs.readFile(fileURLToPath(DIGIT_CLASSIFIER_WEIGHTS)));
}
