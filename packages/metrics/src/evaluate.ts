import { Random } from "@gan/layers";
import type { GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { DigitClassifier } from "./classifier";
import { loadDigitClassifier } from "./load-classifier";
import { referenceImages } from "./reference";
import { classBalance, type Features, fid, kid, type Probabilities, PURITY_THRESHOLD, purity } from "./scores";

/** Options of {@link evaluateImages} and {@link evaluateGenerator}. */
export interface EvaluateOptions {
  /** Generated images, and real reference images (default 400). FID and KID are comparable only at equal n. */
  n?: number;
  /** The digits the GAN was trained on (default `[7, 8]`). */
  digits?: readonly number[];
  /** Seed of the latent codes (default 0). */
  seed?: number;
  /** Images per classifier / generator batch (default 100). */
  batchSize?: number;
  /** Purity threshold on the classifier's probability (default 0.9). */
  threshold?: number;
  /** Training images per digit, skipped when choosing the real reference digits (default 200). */
  skipPerDigit?: number;
  /** The classifier (default: the shipped one, loaded once). */
  classifier?: DigitClassifier;
}

/** Quality of a set of generated digits. */
export interface EvalResult {
  /** Samples evaluated (and size of the real reference set). */
  n: number;
  digits: number[];
  /** Fréchet distance of the classifier's features to the held-out real digits'. */
  fid: number;
  /** Unbiased MMD² (cubic kernel) of the same features. */
  kid: number;
  /** Share of samples called one of `digits` with p > threshold. */
  purity: number;
  /** Share of `digits[0]` among the pure samples (0.5: balanced two digits). */
  balance: number;
  /** Each digit's share among the pure samples. */
  shares: number[];
  /** Seconds the evaluation took. */
  seconds: number;
}

let shipped: Promise<DigitClassifier> | undefined;

/** The shipped classifier, loaded once per process. */
export function defaultClassifier(): Promise<DigitClassifier> {
  shipped ??= loadDigitClassifier();
  return shipped;
}

const referenceCache = new Map<string, { features: Features; probs: Probabilities }>();

/** Classifier features of the real reference set (cached per classifier, digits, n and skip). */
export async function referenceFeatures(
  classifier: DigitClassifier,
  options: { digits: readonly number[]; n: number; skipPerDigit?: number; batchSize?: number },
): Promise<{ features: Features; probs: Probabilities }> {
  const key = `${options.digits.join(",")}|${options.n}|${options.skipPerDigit ?? 200}`;
  const cached = referenceCache.get(key);
  if (cached && classifierOf.get(cached) === classifier) return cached;
  const images = await referenceImages({ digits: options.digits, n: options.n, skipPerDigit: options.skipPerDigit });
  try {
    const out = await classifier.analyze(images, options.batchSize);
    referenceCache.set(key, out);
    classifierOf.set(out, classifier);
    return out;
  } finally {
    images.dispose();
  }
}
const classifierOf = new WeakMap<object, DigitClassifier>();

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
  const digits = [...(options.digits ?? [7, 8])];
  const classifier = options.classifier ?? (await defaultClassifier());
  const n = images.shape[0];
  const x = images.shape[1] === 64 && images.shape[2] === 64 ? images : tf.image.resizeBilinear(images, [64, 64]);
  try {
    if (x.shape[3] !== 1) throw new Error(`evaluateImages: expects grayscale images [n, H, W, 1], got [${images.shape}]`);
    const real = await referenceFeatures(classifier, { digits, n, skipPerDigit: options.skipPerDigit, batchSize: options.batchSize });
    const fake = await classifier.analyze(x, options.batchSize);
    const threshold = options.threshold ?? PURITY_THRESHOLD;
    const bal = classBalance(fake.probs, digits, threshold);
    const result: EvalResult = {
      n,
      digits,
      fid: fid(fake.features, real.features),
      kid: kid(fake.features, real.features),
      purity: purity(fake.probs, digits, threshold),
      balance: bal.balance,
      shares: bal.shares,
      seconds: (performance.now() - started) / 1000,
    };
    return { result, probs: fake.probs, threshold };
  } finally {
    if (x !== images) x.dispose();
  }
}

/**
 * Draws `n` images from `generator` in evaluation mode (latent codes `N(0, 1)` from `Random(seed)`, `batchSize`
 * at a time, attention maps dropped, training mode restored afterwards): `[n, H, W, C]`, owned by the caller.
 */
export function sampleGenerator(generator: GanGenerator, n: number, seed = 0, batchSize = 100): tf.Tensor4D {
  const random = new Random(seed);
  const wasTraining = generator.training;
  generator.eval();
  const parts: tf.Tensor4D[] = [];
  try {
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      parts.push(
        tf.tidy(() => {
          return generator.forward(random.normal([b, generator.zDim]), { attentionMaps: false }).images;
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

/** Draws `n` samples with {@link sampleGenerator} (seed `options.seed`) and scores them with {@link evaluateImages}. */
export async function evaluateGenerator(generator: GanGenerator, options: EvaluateOptions = {}): Promise<EvalResult> {
  const n = options.n ?? 400;
  const images = sampleGenerator(generator, n, options.seed ?? 0, options.batchSize ?? 100);
  try {
    return await evaluateImages(images, { ...options, n });
  } finally {
    images.dispose();
  }
}
