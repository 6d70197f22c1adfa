/**
 * `@gan/metrics`: image-quality metrics for GANs trained on MNIST digits — a shipped LeNet-like digit
 * classifier and, from its 128 penultimate features, FID, KID, purity and class balance; `evaluateGenerator`,
 * an evaluation callback for `@gan/trainer` and the `gan eval` command's implementation.
 *
 * @packageDocumentation
 */
export { DigitClassifier, DIGIT_CLASSIFIER_WEIGHTS, FEATURE_DIM, Linear } from "./classifier";
export { meanAndCovariance, symmetricEigen, sqrtPsd, traceSqrtProduct, matMul } from "./linalg";
export {
  type Features,
  type Probabilities,
  type ClassBalance,
  type Prediction,
  features,
  fid,
  kid,
  polynomialKernel,
  purity,
  classBalance,
  PURITY_THRESHOLD,
} from "./scores";
export { rejectedSamples, formatRejected, type RejectedSamples, type RejectedSample } from "./rejected";
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
