import { Random } from "@gan/layers";
import type { ForwardOptions, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { ImageClassifier } from "./classifier";
import { type MetricDatasetName, metricDataset, resolveClasses } from "./datasets";
import { loadClassifier } from "./load-classifier";
import { balancedLabels, marginalLabels } from "./labels";
import { referenceImages } from "./reference";
import {
  classBalance,
  conditionalAccuracy,
  coverage,
  type Features,
  fid,
  kid,
  type Probabilities,
  PURITY_THRESHOLD,
  purity,
} from "./scores";

/** Options of {@link evaluateImages} and {@link evaluateGenerator}. */
export interface EvaluateOptions {
  /** Generated images, and real reference images (default 400). FID and KID are comparable only at equal n. */
  n?: number;
  /**
   * The data set the GAN was trained on (default `"mnist"`): which classifier scores the samples and which real
   * images they are compared with (see `METRIC_DATASETS`).
   */
  dataset?: MetricDatasetName;
  /** The classes the GAN was trained on (default: the data set's, `[7, 8]` for MNIST, all ten for Fashion-MNIST). */
  classes?: readonly number[];
  /** The former name of `classes` (used when `classes` is not given). */
  digits?: readonly number[];
  /** Seed of the latent codes (default 0). */
  seed?: number;
  /** Images per classifier / generator batch (default 100). */
  batchSize?: number;
  /** Purity (and coverage) threshold on the classifier's probability (default 0.9). */
  threshold?: number;
  /** Coverage: the share of the confident samples a class must hold to count (default 0.02). */
  minShare?: number;
  /** Real images of each class skipped when choosing the reference (default: the data set's; MNIST 200). */
  skipPerClass?: number;
  /** The former name of `skipPerClass` (used when `skipPerClass` is not given). */
  skipPerDigit?: number;
  /** Fashion-MNIST: the folder of its `*-ubyte.gz` files (default where Debian's package installs them). */
  fashionMnistDir?: string;
  /** The classifier (default: the data set's shipped one, loaded once). */
  classifier?: ImageClassifier;
  /**
   * {@link evaluateGenerator}: draw class-conditional samples — labels balanced over `classes` (`n / classes`
   * each, interleaved `c₀, c₁, …`), passed as `{ labels }` (int32 `[B]`) in the generator's forward options —
   * and report conditional and per-class accuracy. Default: when the generator declares `numClasses` (a
   * conditional generator needs its labels); `false` never passes labels, `true` always does.
   */
  conditional?: boolean;
  /**
   * What label the conditional generator takes for class `classes[j]`: `"class"` the class itself (0…9: a
   * generator trained on all ten classes of `gan prepare mnist` / `fashion-mnist`, whose class folders number the
   * labels), `"index"` its position `j` in `classes` (a generator trained on class folders of just those classes,
   * such as `7/` and `8/` → 0 and 1). Default `"class"`, or `"index"` when the generator's `numClasses` equals the
   * number of classes and a class is out of its range (classes 7 and 8, `numClasses` 2).
   */
  classLabels?: "class" | "index";
  /**
   * {@link evaluateGenerator}: score a conditional generator's whole distribution instead of each class: sample
   * labels drawn in proportion to these weights (one per generator label, such as the images per class the run
   * trained on: its `extra.classCounts`; {@link marginalLabels}), and no conditional accuracy (the labels need not
   * be the data set's classes: clusters of `gan cluster` are not). Takes precedence over `conditional`.
   */
  labelWeights?: readonly number[];
  /**
   * {@link evaluateImages}: the class each image was generated for (the classifier's labels), to report
   * conditional and per-class accuracy. {@link evaluateGenerator} sets it when `conditional`.
   */
  requestedLabels?: ArrayLike<number>;
}

/** Quality of a set of generated images. */
export interface EvalResult {
  /** Samples evaluated (and size of the real reference set). */
  n: number;
  /** The data set whose classifier and real images scored them. */
  dataset: MetricDatasetName;
  /** The classes the generator was trained on. */
  classes: number[];
  /** `classes`, under its former name. */
  digits: number[];
  /** Fréchet distance of the classifier's features to the held-out real images'. */
  fid: number;
  /** Unbiased MMD² (cubic kernel) of the same features. */
  kid: number;
  /** Share of samples called one of `classes` with p > threshold. */
  purity: number;
  /** Share of `classes[0]` among the pure samples (0.5: balanced two classes). */
  balance: number;
  /** Each class's share among the pure samples. */
  shares: number[];
  /** How many of `classes` hold at least `minShare` (2%) of the confident samples (p > threshold). */
  coverage: number;
  /** Those classes, in the order of `classes`. */
  covered: number[];
  /** Conditional samples only: the share the classifier calls (argmax) the class they were generated for. */
  conditionalAccuracy?: number;
  /** Conditional samples only: that share per class asked for. */
  perClassAccuracy?: Record<number, number>;
  /** Seconds the evaluation took. */
  seconds: number;
}

const shipped = new Map<MetricDatasetName, Promise<ImageClassifier>>();

/** The shipped classifier of a data set (default `"mnist"`), loaded once per process. */
export function defaultClassifier(dataset: MetricDatasetName = "mnist"): Promise<ImageClassifier> {
  let loading = shipped.get(dataset);
  if (!loading) {
    loading = loadClassifier(dataset);
    shipped.set(dataset, loading);
    loading.catch(() => shipped.delete(dataset));
  }
  return loading;
}

/** The data set a classifier's weights say they were trained on (`undefined` when they do not say). */
function trainedOn(classifier: ImageClassifier): string | undefined {
  if (classifier.metadata.dataset) return classifier.metadata.dataset;
  return classifier.metadata.format === "gan-toolkit/digit-classifier" ? "mnist" : undefined;
}

const referenceCache = new Map<string, { features: Features; probs: Probabilities }>();
const classifierOf = new WeakMap<object, ImageClassifier>();

/** Classifier features of the real reference set (cached per classifier, data set, classes, n and skip). */
export async function referenceFeatures(
  classifier: ImageClassifier,
  options: {
    dataset?: MetricDatasetName;
    classes?: readonly number[];
    digits?: readonly number[];
    n: number;
    skipPerClass?: number;
    skipPerDigit?: number;
    batchSize?: number;
    fashionMnistDir?: string;
  },
): Promise<{ features: Features; probs: Probabilities }> {
  const dataset = metricDataset(options.dataset ?? "mnist");
  const classes = resolveClasses(dataset, options.classes, options.digits);
  const skip = options.skipPerClass ?? options.skipPerDigit ?? dataset.reference.skipPerClass;
  const key = `${dataset.name}|${classes.join(",")}|${options.n}|${skip}|${options.fashionMnistDir ?? ""}`;
  const cached = referenceCache.get(key);
  if (cached && classifierOf.get(cached) === classifier) return cached;
  const images = await referenceImages({ dataset: dataset.name, classes, n: options.n, skipPerClass: skip, fashionMnistDir: options.fashionMnistDir });
  try {
    const out = await classifier.analyze(images, options.batchSize);
    referenceCache.set(key, out);
    classifierOf.set(out, classifier);
    return out;
  } finally {
    images.dispose();
  }
}

/** Scores images `[n, 64, 64, 1]` in [-1, 1] (other sizes are resized bilinearly to 64 × 64 first). */
export async function evaluateImages(images: tf.Tensor4D, options: EvaluateOptions = {}): Promise<EvalResult> {
  return (await scoreImages(images, options)).result;
}

/**
 * {@link evaluateImages}, also returning the per-sample class probabilities the scores came from (what
 * `gan eval --rejected` breaks down with `rejectedSamples`) and the threshold used.
 */
export async function scoreImages(
  images: tf.Tensor4D,
  options: EvaluateOptions = {},
): Promise<{ result: EvalResult; probs: Probabilities; threshold: number }> {
  const started = performance.now();
  const dataset = metricDataset(options.dataset ?? "mnist");
  const classes = resolveClasses(dataset, options.classes, options.digits);
  const classifier = options.classifier ?? (await defaultClassifier(dataset.name));
  const trained = trainedOn(classifier);
  if (trained !== undefined && trained !== dataset.name) {
    throw new Error(`evaluateImages: the classifier was trained on ${trained}, not on ${dataset.name}; pass that data set's classifier`);
  }
  const n = images.shape[0];
  if (options.requestedLabels && options.requestedLabels.length !== n) {
    throw new Error(`evaluateImages: ${options.requestedLabels.length} requested labels for ${n} images`);
  }
  const x = images.shape[1] === 64 && images.shape[2] === 64 ? images : tf.image.resizeBilinear(images, [64, 64]);
  try {
    if (x.shape[3] !== 1) throw new Error(`evaluateImages: expects grayscale images [n, H, W, 1], got [${images.shape}]`);
    const real = await referenceFeatures(classifier, {
      dataset: dataset.name,
      classes,
      n,
      skipPerClass: options.skipPerClass,
      skipPerDigit: options.skipPerDigit,
      batchSize: options.batchSize,
      fashionMnistDir: options.fashionMnistDir,
    });
    const fake = await classifier.analyze(x, options.batchSize);
    const threshold = options.threshold ?? PURITY_THRESHOLD;
    const bal = classBalance(fake.probs, classes, threshold);
    const cov = coverage(fake.probs, { threshold, minShare: options.minShare, classes });
    const result: EvalResult = {
      n,
      dataset: dataset.name,
      classes,
      digits: classes,
      fid: fid(fake.features, real.features),
      kid: kid(fake.features, real.features),
      purity: purity(fake.probs, classes, threshold),
      balance: bal.balance,
      shares: bal.shares,
      coverage: cov.count,
      covered: cov.covered,
      seconds: 0,
    };
    if (options.requestedLabels) {
      const acc = conditionalAccuracy(fake.probs, options.requestedLabels);
      result.conditionalAccuracy = acc.accuracy;
      result.perClassAccuracy = acc.perClass;
    }
    result.seconds = (performance.now() - started) / 1000;
    return { result, probs: fake.probs, threshold };
  } finally {
    if (x !== images) x.dispose();
  }
}

/**
 * Draws `n` images from `generator` in evaluation mode (latent codes `N(0, 1)` from `Random(seed)`, `batchSize`
 * at a time, attention maps dropped, training mode restored afterwards): `[n, H, W, C]`, owned by the caller.
 * With `labels` (one per sample, in the generator's label space) a class-conditional generator draws sample `i`
 * of class `labels[i]`: they go into its forward options as `{ labels }` (int32 `[B]`); without them no labels
 * are passed. The latent codes are the same either way.
 */
export function sampleGenerator(generator: GanGenerator, n: number, seed = 0, batchSize = 100, labels?: ArrayLike<number>): tf.Tensor4D {
  if (labels && labels.length !== n) throw new Error(`sampleGenerator: ${labels.length} labels for ${n} samples`);
  const random = new Random(seed);
  const wasTraining = generator.training;
  generator.eval();
  const parts: tf.Tensor4D[] = [];
  try {
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      parts.push(
        tf.tidy(() => {
          const z = random.normal([b, generator.zDim]);
          if (!labels) return generator.forward(z, { attentionMaps: false }).images;
          const batchLabels = tf.tensor1d(Int32Array.from({ length: b }, (_, i) => labels[s + i]), "int32");
          // `labels` is a forward option of conditional generators (@gan/spec); the cast keeps this compiling
          // against a spec without it.
          return generator.forward(z, { attentionMaps: false, labels: batchLabels } as ForwardOptions).images;
        }),
      );
    }
  } catch (e) {
    tf.dispose(parts);
    throw e;
  } finally {
    generator.train(wasTraining);
  }
  if (parts.length === 1) return parts[0];
  const images = tf.concat(parts);
  tf.dispose(parts);
  return images;
}

/** The number of classes a generator declares (`numClasses` of a conditional generator), if any. */
function generatorClasses(generator: GanGenerator): number | undefined {
  const k = (generator as { numClasses?: number }).numClasses;
  return typeof k === "number" && k > 0 ? k : undefined;
}

/**
 * The samples {@link evaluateGenerator} (and `gan eval`) scores: `n` images from `Random(seed)`, and, for a
 * conditional evaluation (see {@link EvaluateOptions.conditional}), the class each was asked for.
 */
export function sampleForEvaluation(
  generator: GanGenerator,
  options: EvaluateOptions = {},
): { images: tf.Tensor4D; requestedLabels?: Int32Array; classes: number[] } {
  const n = options.n ?? 400;
  const dataset = metricDataset(options.dataset ?? "mnist");
  const classes = resolveClasses(dataset, options.classes, options.digits);
  const numClasses = generatorClasses(generator);
  if (options.labelWeights) {
    if (numClasses !== undefined && options.labelWeights.length !== numClasses) {
      throw new Error(`evaluateGenerator: labelWeights has ${options.labelWeights.length} weights, but the generator has ${numClasses} classes`);
    }
    const labels = marginalLabels(options.labelWeights, n);
    return { images: sampleGenerator(generator, n, options.seed ?? 0, options.batchSize ?? 100, labels), classes };
  }
  const conditional = options.conditional ?? numClasses !== undefined;
  if (!conditional) return { images: sampleGenerator(generator, n, options.seed ?? 0, options.batchSize ?? 100), classes };
  const requestedLabels = balancedLabels(classes, n);
  // "class" unless the classes cannot be the generator's labels and there is one label per class.
  const space =
    options.classLabels ??
    (numClasses !== undefined && numClasses === classes.length && classes.some((c) => c >= numClasses) ? "index" : "class");
  const generatorLabels = space === "index" ? Int32Array.from(requestedLabels, (c) => classes.indexOf(c)) : requestedLabels;
  if (numClasses !== undefined) {
    const top = Math.max(...generatorLabels);
    if (top >= numClasses) {
      throw new Error(
        `evaluateGenerator: the generator has ${numClasses} classes, so label ${top} is out of range` +
          (space === "class" ? `; pass classLabels: "index" if its labels number the classes [${classes.join(", ")}] in order` : ""),
      );
    }
  }
  return { images: sampleGenerator(generator, n, options.seed ?? 0, options.batchSize ?? 100, generatorLabels), requestedLabels, classes };
}

/**
 * Draws `n` samples with {@link sampleGenerator} (seed `options.seed`) and scores them with {@link evaluateImages};
 * for a conditional generator (or `conditional: true`) with labels balanced over the classes, also conditional and
 * per-class accuracy.
 */
export async function evaluateGenerator(generator: GanGenerator, options: EvaluateOptions = {}): Promise<EvalResult> {
  const n = options.n ?? 400;
  const { images, requestedLabels } = sampleForEvaluation(generator, { ...options, n });
  try {
    return await evaluateImages(images, { ...options, n, requestedLabels });
  } finally {
    images.dispose();
  }
}
