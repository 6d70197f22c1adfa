/**
 * `@gan/metrics`: image-quality metrics for GANs trained on MNIST digits — a shipped LeNet-like digit
 * classifier and, from its 128 penultimate features, FID, KID, purity and class balance. This entry runs in a
 * browser, a Web Worker and Node alike.
 *
 * `@gan/metrics/node` adds what reads files: the shipped classifier loaded from disk, the real MNIST reference
 * digits, `evaluateGenerator`, the evaluation callback that writes `fid.png`, and the `gan eval` command.
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
