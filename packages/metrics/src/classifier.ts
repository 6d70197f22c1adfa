import { Conv2d, decodeSafetensors, Module, Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { DIGIT_CLASSIFIER_WEIGHTS, type MetricDatasetName, metricDataset } from "./datasets";
import type { Features, Probabilities } from "./scores";

export { DIGIT_CLASSIFIER_WEIGHTS, FASHION_CLASSIFIER_WEIGHTS } from "./datasets";

/** A fully connected layer with PyTorch's `nn.Linear` layout (weight `[out, in]`). */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    random = new Random(0),
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.registerParameter("weight", random.uniform([outFeatures, inFeatures], -bound, bound));
    this.registerParameter("bias", random.uniform([outFeatures], -bound, bound));
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.getParameter("weight"), false, true), this.getParameter("bias")));
  }
}

/** Feature size of {@link ImageClassifier} (its penultimate layer). */
export const FEATURE_DIM = 128;

/**
 * The LeNet-like classifier of `@gan/metrics`, one architecture for every data set of {@link METRIC_DATASETS}:
 * trained by `tools/metrics/train_classifier.py` (PyTorch) on the `mnist` package's digits
 * (`weights/digit-classifier.safetensors`) and on Fashion-MNIST's train split
 * (`weights/fashion-classifier.safetensors`). Input: `[B, 64, 64, 1]` in [-1, 1] — what the generators
 * produce, and the real images enlarged 28 → 64 with Pillow's bicubic as the GAN's data. It first averages 2×2
 * blocks (64 → 32), then conv5×5(16)–ReLU–maxpool2, conv5×5(32)–ReLU–maxpool2, fc(2048 → 128)–ReLU (the
 * features), fc(128 → classes). State-dict names match the PyTorch module's (`conv1.weight`, …, `fc2.bias`).
 */
export class ImageClassifier extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  /** The weights file's metadata (`test_accuracy`, …) once loaded. */
  metadata: Record<string, string> = {};

  constructor(
    /** Classes of the last layer (10 for both shipped classifiers). */
    readonly numClasses = 10,
  ) {
    super();
    const random = new Random(0);
    this.conv1 = this.registerModule("conv1", new Conv2d(1, 16, 5, { padding: 2, random }));
    this.conv2 = this.registerModule("conv2", new Conv2d(16, 32, 5, { padding: 2, random }));
    this.fc1 = this.registerModule("fc1", new Linear(32 * 8 * 8, FEATURE_DIM, random));
    this.fc2 = this.registerModule("fc2", new Linear(FEATURE_DIM, numClasses, random));
  }

  /**
   * A classifier with the given safetensors weights: the file's bytes, or a URL to fetch them from (such as a
   * data set's `weights` in {@link METRIC_DATASETS}). Without `source`, the shipped digit classifier's weights
   * fetched from {@link DIGIT_CLASSIFIER_WEIGHTS} (in a browser, where bundlers serve that URL; in Node use
   * `loadClassifier(dataset)` of `@gan/metrics/node`, which reads the file). The class count is taken from the
   * weights.
   */
  static async load(source: Uint8Array | URL = DIGIT_CLASSIFIER_WEIGHTS): Promise<ImageClassifier> {
    let bytes: Uint8Array;
    if (source instanceof Uint8Array) bytes = source;
    else {
      const response = await fetch(source);
      if (!response.ok) throw new Error(`ImageClassifier.load: cannot fetch ${source}: HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
    const name = source instanceof URL ? (source.pathname.split("/").pop() ?? "classifier.safetensors") : "classifier.safetensors";
    const { tensors, metadata } = decodeSafetensors(bytes, name);
    const classes = tensors["fc2.bias"]?.shape[0] ?? 10;
    const model = new ImageClassifier(classes);
    try {
      model.loadStateDict(tensors, { strict: true });
    } finally {
      tf.dispose(Object.values(tensors));
    }
    model.metadata = metadata;
    model.eval();
    return model;
  }

  /** The shipped classifier of a data set of {@link METRIC_DATASETS}, fetched from its `weights` URL (browser). */
  static async forDataset(dataset: MetricDatasetName = "mnist"): Promise<ImageClassifier> {
    return ImageClassifier.load(metricDataset(dataset).weights);
  }

  /** Penultimate features `[B, 128]` of images `[B, 64, 64, 1]` in [-1, 1]. */
  features(x: tf.Tensor4D): tf.Tensor2D {
    if (x.rank !== 4 || x.shape[1] !== 64 || x.shape[2] !== 64 || x.shape[3] !== 1) {
      throw new Error(`ImageClassifier expects images [B, 64, 64, 1] in [-1, 1], got [${x.shape}]`);
    }
    return tf.tidy(() => {
      let h = tf.avgPool(x, 2, 2, "valid");
      h = tf.maxPool(tf.relu(this.conv1.forward(h)), 2, 2, "valid");
      h = tf.maxPool(tf.relu(this.conv2.forward(h)), 2, 2, "valid");
      // PyTorch flattens [B, C, H, W].
      const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [x.shape[0], -1]) as tf.Tensor2D;
      return tf.relu(this.fc1.forward(flat));
    });
  }

  /** Logits `[B, numClasses]`. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.forward(this.features(x)));
  }

  /** Features and class probabilities of many images, `batchSize` at a time, as plain arrays. */
  async analyze(images: tf.Tensor4D, batchSize = 100): Promise<{ features: Features; probs: Probabilities }> {
    const n = images.shape[0];
    const feats = new Float64Array(n * FEATURE_DIM);
    const k = this.numClasses;
    const probs = new Float32Array(n * k);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const [f, p] = tf.tidy(() => {
        const x = tf.slice(images, [s, 0, 0, 0], [b, -1, -1, -1]);
        const f = this.features(x);
        return [f, tf.softmax(this.fc2.forward(f))];
      });
      feats.set(await f.data(), s * FEATURE_DIM);
      probs.set(await p.data(), s * k);
      tf.dispose([f, p]);
    }
    return { features: { data: feats, n, d: FEATURE_DIM }, probs: { data: probs, n, classes: k } };
  }
}

/**
 * The former name of {@link ImageClassifier}, from when the digits were its only data set: the same class
 * (`DigitClassifier.load()` still loads the digit classifier).
 */
export const DigitClassifier = ImageClassifier;
/** The former name of {@link ImageClassifier}. */
export type DigitClassifier = ImageClassifier;
