import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import { decodeSafetensors, relativeError } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { DigitClassifier } from "../src/classifier";
import { loadDigitClassifier } from "../src/load-classifier";
import { evaluateImages } from "../src/evaluate";
import { referenceImages } from "../src/reference";
import { fid } from "../src/scores";

let classifier: DigitClassifier;
beforeAll(async () => {
  await tf.setBackend("cpu");
  classifier = await loadDigitClassifier();
});

describe("DigitClassifier", () => {
  it("matches PyTorch's features and logits (fixture from train_classifier.py)", async () => {
    const { tensors } = decodeSafetensors(await fs.readFile(new URL("../fixtures/classifier-parity.safetensors", import.meta.url)));
    const x = tensors.input as tf.Tensor4D;
    const feats = classifier.features(x);
    const logits = classifier.forward(x);
    expect(relativeError(feats, tensors.features)).toBeLessThan(1e-5);
    expect(relativeError(logits, tensors.logits)).toBeLessThan(1e-5);
    const predicted = Array.from(await tf.argMax(logits, 1).data());
    const labels = Array.from(await tensors.labels.data());
    expect(predicted.filter((p, i) => p === labels[i]).length).toBeGreaterThanOrEqual(19);
    tf.dispose([feats, logits, ...Object.values(tensors)]);
  });

  it("ships its test accuracy in the weights' metadata (98.9%; issue 8 asks for at least 98%)", () => {
    expect(Number(classifier.metadata.test_accuracy)).toBeGreaterThanOrEqual(0.98);
  });
});

describe("evaluateImages", () => {
  it("scores real held-out digits far better than noise", async () => {
    const n = 100;
    // Real digits not in the reference set (which skips the first 200 of each digit): skip 400.
    const real = await referenceImages({ n, skipPerDigit: 400 });
    const noise = tf.tidy(() => tf.clipByValue(tf.randomNormal([n, 64, 64, 1], -0.6, 0.6, "float32", 1), -1, 1)) as tf.Tensor4D;
    const r = await evaluateImages(real, { n });
    const z = await evaluateImages(noise, { n });
    expect(r.purity).toBeGreaterThan(0.9);
    expect(r.balance).toBeGreaterThan(0.4);
    expect(r.balance).toBeLessThan(0.6);
    expect(z.purity).toBeLessThan(0.2);
    expect(z.fid).toBeGreaterThan(20 * r.fid);
    expect(z.kid).toBeGreaterThan(20 * Math.abs(r.kid));
    tf.dispose([real, noise]);
  });

  it("gives FID ≈ 0 for a set of digit features against itself", async () => {
    const ref = await referenceImages({ n: 100, skipPerDigit: 600 });
    const { features } = await classifier.analyze(ref);
    expect(fid(features, features)).toBeLessThan(1e-6);
    ref.dispose();
  });
});
