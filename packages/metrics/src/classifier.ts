import { Conv2d, decodeSafetensors, Module, Random } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import type { Features, Probabilities } from "./scores";

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

/** Where the shipped weights lie (next to `dist/` and `src/`). */
export const DIGIT_CLASSIFIER_WEIGHTS = new URL("../weights/digit-classifier.safetensors", import.meta.url);

/** Feature size of {@link DigitClassifier} (its penultimate layer). */
export const FEATURE_DIM = 128;

/**
 * The LeNet-like digit classifier of `@gan/metrics`, trained by `tools/metrics/train_classifier.py` (PyTorch) on
 * the `mnist` package's digits. Input: `[B, 64, 64, 1]` in [-1, 1] — what the generators produce, and the real
 * digits enlarged 28 → 64 with Pillow's bicubic as the GAN's data. It first averages 2×2 blocks (64 → 32), then
 * conv5×5(16)–ReLU–maxpool2, conv5×5(32)–ReLU–maxpool2, fc(2048 → 128)–ReLU (the features), fc(128 → 10).
 * State-dict names match the PyTorch module's (`conv1.weight`, …, `fc2.bias`).
 */
export class DigitClassifier extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  /** The weights file's metadata (`test_accuracy`, …) once loaded. */
  metadata: Record<string, string> = {};

  constructor() {
    super();
    const random = new Random(0);
    this.conv1 = this.registerModule("conv1", new Conv2d(1, 16, 5, { padding: 2, random }));
    this.conv2 = this.registerModule("conv2", new Conv2d(16, 32, 5, { padding: 2, random }));
    this.fc1 = this.registerModule("fc1", new Linear(32 * 8 * 8, FEATURE_DIM, random));
    this.fc2 = this.registerModule("fc2", new Linear(FEATURE_DIM, 10, random));
  }

  /**
   * A classifier with the given safetensors weights; without `bytes`, the shipped weights fetched from
   * {@link DIGIT_CLASSIFIER_WEIGHTS} (in a browser, where bundlers serve that URL; in Node use
   * `loadDigitClassifier()` of `@gan/metrics/node`, which reads the file).
   */
  static async load(bytes?: Uint8Array): Promise<DigitClassifier> {
    if (!bytes) {
      const response = await fetch(DIGIT_CLASSIFIER_WEIGHTS);
      if (!response.ok) throw new Error(`DigitClassifier.load: cannot fetch ${DIGIT_CLASSIFIER_WEIGHTS}: HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
    const model = new DigitClassifier();
    const { tensors, metadata } = decodeSafetensors(bytes, "digit-classifier.safetensors");
    try {
      model.loadStateDict(tensors, { strict: true });
    } finally {
      tf.dispose(Object.values(tensors));
    }
    model.metadata = metadata;
    model.eval();
    return model;
  }

  /** Penultimate features `[B, 128]` of images `[B, 64, 64, 1]` in [-1, 1]. */
  features(x: tf.Tensor4D): tf.Tensor2D {
    if (x.rank !== 4 || x.shape[1] !== 64 || x.shape[2] !== 64 || x.shape[3] !== 1) {
      throw new Error(`DigitClassifier expects images [B, 64, 64, 1] in [-1, 1], got [${x.shape}]`);
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

  /** Logits `[B, 10]`. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.forward(this.features(x)));
  }

  /** Features and class probabilities of many images, `batchSize` at a time, as plain arrays. */
  async analyze(images: tf.Tensor4D, batchSize = 100): Promise<{ features: Features; probs: Probabilities }> {
    const n = images.shape[0];
    const feats = new Float64Array(n * FEATURE_DIM);
    const probs = new Float32Array(n * 10);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const [f, p] = tf.tidy(() => {
        const x = tf.slice(images, [s, 0, 0, 0], [b, -1, -1, -1]);
        const f = this.features(x);
        return [f, tf.softmax(this.fc2.forward(f))];
      });
      feats.set(await f.data(), s * FEATURE_DIM);
      probs.set(await p.data(), s * 10);
      tf.dispose([f, p]);
    }
    return { features: { data: feats, n, d: FEATURE_DIM }, probs: { data: probs, n, classes: 10 } };
  }
}
