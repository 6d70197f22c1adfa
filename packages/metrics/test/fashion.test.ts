import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { FASHION_MNIST_CLASSES, mnistImages } from "@gan/data/node";
import { decodeSafetensors, relativeError } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { DigitClassifier, ImageClassifier } from "../src/classifier";
import { FASHION_MNIST_CLASS_NAMES } from "../src/datasets";
import { evaluateImages } from "../src/evaluate";
import { loadClassifier, loadDigitClassifier } from "../src/load-classifier";
import { referenceImages } from "../src/reference";

// Fashion-MNIST is Debian's dataset-fashion-mnist, installed here and by .ci/run; without it these tests fail
// with the message that names the package.
let classifier: ImageClassifier;
beforeAll(async () => {
  await tf.setBackend("cpu");
  classifier = await loadClassifier("fashion-mnist");
});

describe("the Fashion-MNIST classifier", () => {
  it("matches PyTorch's features and logits (fixture from train_classifier.py with DATASET=fashion-mnist)", async () => {
    const { tensors } = decodeSafetensors(await fs.readFile(new URL("../fixtures/fashion-classifier-parity.safetensors", import.meta.url)));
    const x = tensors.input as tf.Tensor4D;
    expect(x.shape).toEqual([20, 64, 64, 1]);
    const feats = classifier.features(x);
    const logits = classifier.forward(x);
    expect(relativeError(feats, tensors.features)).toBeLessThan(1e-5);
    expect(relativeError(logits, tensors.logits)).toBeLessThan(1e-5);
    const predicted = Array.from(await tf.argMax(logits, 1).data());
    const labels = Array.from(await tensors.labels.data());
    expect(labels).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    expect(predicted.filter((p, i) => p === labels[i]).length).toBeGreaterThanOrEqual(16);
    tf.dispose([feats, logits, ...Object.values(tensors)]);
  });

  it("ships its test-split accuracy, overall and per class, in the weights' metadata (about 0.9, as a LeNet scores)", () => {
    expect(classifier).toBeInstanceOf(ImageClassifier);
    expect(classifier.numClasses).toBe(10);
    const meta = classifier.metadata;
    expect(meta).toMatchObject({ dataset: "fashion-mnist", test_images: "10000", train_images: "60000" });
    expect(Number(meta.test_accuracy)).toBeGreaterThanOrEqual(0.89); // 0.8978
    expect(JSON.parse(meta.classes)).toEqual(FASHION_MNIST_CLASS_NAMES);
    const perClass = JSON.parse(meta.test_accuracy_per_class) as Record<string, string>;
    expect(Object.keys(perClass)).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    // The 1,000 test images of each class: the mean of the per-class accuracies is the overall accuracy.
    const mean = Object.values(perClass).reduce((s, a) => s + Number(a), 0) / 10;
    expect(mean).toBeCloseTo(Number(meta.test_accuracy), 3);
  });

  it("keeps the digit classifier under its former name", async () => {
    expect(DigitClassifier).toBe(ImageClassifier);
    const digits = await loadDigitClassifier();
    expect(digits.metadata.format).toBe("gan-toolkit/digit-classifier");
    expect((await loadClassifier()).metadata.test_accuracy).toBe(digits.metadata.test_accuracy);
    digits.dispose();
  });

  it("names the classes as @gan/data does", () => {
    expect([...FASHION_MNIST_CLASS_NAMES]).toEqual([...FASHION_MNIST_CLASSES]);
  });
});

describe("Fashion-MNIST reference images", () => {
  it("are the test split's images of each class, interleaved, enlarged as the GAN's data", async () => {
    const ref = await referenceImages({ dataset: "fashion-mnist", classes: [3, 9], n: 6, skipPerClass: 1 });
    expect(ref.shape).toEqual([6, 64, 64, 1]);
    // The same pixels as @gan/data's Fashion-MNIST selection of the test split (Pillow bicubic 28 → 64).
    const { images } = await mnistImages({ dataset: "fashion-mnist", split: "test", digits: [3, 9], perDigit: 4 });
    const got = await ref.data();
    // mnistImages interleaves 3_0, 9_0, 3_1, 9_1, …; skipping one per class starts at 3_1.
    for (let k = 0; k < 6; k++) {
      const expected = images[k + 2];
      let maxDiff = 0;
      for (let p = 0; p < 64 * 64; p++) maxDiff = Math.max(maxDiff, Math.abs(got[k * 4096 + p] - (expected[p] / 127.5 - 1)));
      expect(maxDiff).toBeLessThan(1e-6);
    }
    ref.dispose();
  });

  it("default to all ten classes, balanced, and the classifier calls most of them right", async () => {
    const ref = await referenceImages({ dataset: "fashion-mnist", n: 100 });
    const { probs } = await classifier.analyze(ref);
    let right = 0;
    for (let i = 0; i < 100; i++) {
      const row = Array.from(probs.data.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === i % 10) right++;
    }
    expect(right).toBeGreaterThanOrEqual(80);
    ref.dispose();
  });

  it("refuses more images of a class than the test split holds after the skip", async () => {
    await expect(referenceImages({ dataset: "fashion-mnist", classes: [0], n: 10, skipPerClass: 995 })).rejects.toThrow(
      /class 0 has 1000 images in Fashion-MNIST's test split .*10 held-out ones after the first 995 are too many/,
    );
  });

  it("say how to install Fashion-MNIST when it is missing", async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), "gan-metrics-no-fashion-"));
    const blank = tf.zeros([4, 64, 64, 1]) as tf.Tensor4D;
    try {
      await expect(referenceImages({ dataset: "fashion-mnist", fashionMnistDir: empty })).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
      await expect(evaluateImages(blank, { dataset: "fashion-mnist", fashionMnistDir: empty })).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
    } finally {
      blank.dispose();
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});

describe("real Fashion-MNIST images against the reference", () => {
  it("score high purity, full coverage and a low FID (two disjoint sets of the test split, n = 200)", async () => {
    const n = 200;
    // The reference is the first 20 test images of each class; these are the next 20.
    const real = await referenceImages({ dataset: "fashion-mnist", n, skipPerClass: n / 10 });
    const noise = tf.tidy(() => tf.clipByValue(tf.randomNormal([n, 64, 64, 1], -0.6, 0.6, "float32", 1), -1, 1)) as tf.Tensor4D;
    const r = await evaluateImages(real, { dataset: "fashion-mnist", n });
    const z = await evaluateImages(noise, { dataset: "fashion-mnist", n });
    expect(r).toMatchObject({ dataset: "fashion-mnist", classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], coverage: 10, covered: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(r.purity).toBeGreaterThan(0.6); // 0.73 over the whole test split: clothes are called with less confidence than digits
    expect(r.conditionalAccuracy).toBeUndefined();
    expect(z.purity).toBeLessThan(0.5);
    expect(z.coverage).toBeLessThan(4);
    expect(z.fid).toBeGreaterThan(10 * r.fid);
    // The real images' own labels: conditional accuracy is the classifier's accuracy on them.
    const labeled = await evaluateImages(real, { dataset: "fashion-mnist", n, requestedLabels: Array.from({ length: n }, (_, i) => i % 10) });
    expect(labeled.conditionalAccuracy).toBeGreaterThan(0.8);
    expect(Object.keys(labeled.perClassAccuracy ?? {})).toHaveLength(10);
    expect(labeled.fid).toBe(r.fid);
    tf.dispose([real, noise]);
  });

  it("refuses the digit classifier for Fashion-MNIST images", async () => {
    const digits = await loadDigitClassifier();
    const blank = tf.zeros([4, 64, 64, 1]) as tf.Tensor4D;
    await expect(evaluateImages(blank, { dataset: "fashion-mnist", classifier: digits })).rejects.toThrow(/trained on mnist, not on fashion-mnist/);
    tf.dispose([blank]);
    digits.dispose();
  });
});
