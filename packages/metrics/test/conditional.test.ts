import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { encodeSafetensors } from "@gan/layers";
import type { ForwardOptions, GanGenerator } from "@gan/spec";
import type { TrainerContext } from "@gan/trainer";
import { readMetrics } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evalCallback } from "../src/eval-callback";
import { evalCommand, formatEvalResult } from "../src/eval-command";
import { defaultClassifier, evaluateGenerator, sampleGenerator } from "../src/evaluate";
import { marginalLabels } from "../src/labels";
import { referenceImages } from "../src/reference";
import { conditionalAccuracy } from "../src/scores";
import { fakeGenerator, rampImages } from "./fake-generator";

/** Real Fashion-MNIST test images per class, disjoint from the reference (which starts at the first of each). */
const PER_CLASS = 12;
let pool: tf.Tensor4D;
let tmp: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  // Interleaved: image i·10 + c is the i-th of class c (images 500 … 511 of each class in the test split).
  pool = await referenceImages({ dataset: "fashion-mnist", n: 10 * PER_CLASS, skipPerClass: 500 });
  await defaultClassifier("fashion-mnist"); // loaded once (its weights stay), before the leak checks
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-metrics-conditional-"));
});
afterAll(async () => {
  pool?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** What {@link conditionalFake} returns. */
interface ConditionalFake extends GanGenerator {
  numClasses: number;
  calls: Array<ForwardOptions | undefined>;
  labels: Array<{ values: number[]; dtype: string } | undefined>;
}

/**
 * A fake class-conditional generator (`numClasses` 10): for label `y` a real image of class `y`, which one chosen
 * by `z`. `ignoreLabels`: the class comes from `z` instead, as a generator that learned nothing of the labels.
 * Records the forward options it was called with (`calls`) and the labels' values and dtype (`labels`).
 */
function conditionalFake(ignoreLabels = false): ConditionalFake {
  const calls: Array<ForwardOptions | undefined> = [];
  const seen: Array<{ values: number[]; dtype: string } | undefined> = [];
  return {
    zDim: 4,
    training: true,
    numClasses: 10,
    calls,
    labels: seen,
    parameters: () => [],
    stateDict: () => ({}),
    loadStateDict() {},
    train(mode = true) {
      this.training = mode;
      return this;
    },
    eval() {
      this.training = false;
      return this;
    },
    dispose() {},
    forward(z: tf.Tensor, options?: ForwardOptions) {
      calls.push(options);
      const labels = (options as { labels?: tf.Tensor1D } | undefined)?.labels;
      seen.push(labels && { values: Array.from(labels.dataSync()), dtype: labels.dtype });
      if (!ignoreLabels && !labels) throw new Error("conditional fake: labels are required");
      const b = z.shape[0];
      const zs = z.dataSync();
      const ys = ignoreLabels ? Array.from({ length: b }, (_, i) => Math.floor(Math.abs(zs[i * 4 + 1]) * 1000) % 10) : Array.from(labels!.dataSync());
      const pick = ys.map((y, i) => (Math.floor(Math.abs(zs[i * 4]) * 997) % PER_CLASS) * 10 + y);
      return { images: tf.gather(pool, pick) as tf.Tensor4D, attentionMaps: [] };
    },
  };
}

describe("evaluateGenerator with a conditional generator", () => {
  it("passes labels balanced over the classes and scores conditional accuracy, per class too", async () => {
    const g = conditionalFake();
    const n = 100;
    const before = tf.memory().numTensors;
    const r = await evaluateGenerator(g, { dataset: "fashion-mnist", n, batchSize: 40 });
    expect(tf.memory().numTensors).toBe(before);
    // Batches of 40, 40, 20, labels 0…9 interleaved across them, int32.
    expect(g.labels.map((l) => l?.values.length)).toEqual([40, 40, 20]);
    expect(g.labels.flatMap((l) => l?.values ?? [])).toEqual(Array.from({ length: n }, (_, i) => i % 10));
    expect(g.labels.every((l) => l?.dtype === "int32")).toBe(true);
    expect(g.calls.every((o) => o?.attentionMaps === false)).toBe(true);
    expect(r.conditionalAccuracy).toBeGreaterThan(0.8);
    expect(r.coverage).toBe(10);
    expect(r.covered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const perClass = r.perClassAccuracy ?? {};
    expect(Object.keys(perClass).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 10 samples asked of each class: the overall accuracy is the mean of the per-class ones.
    expect(Object.values(perClass).reduce((s, a) => s + a, 0) / 10).toBeCloseTo(r.conditionalAccuracy ?? 0, 12);
    // The same numbers as the classifier on the same samples with the labels asked for.
    const images = sampleGenerator(conditionalFake(), n, 0, 40, Int32Array.from({ length: n }, (_, i) => i % 10));
    const { probs } = await (await defaultClassifier("fashion-mnist")).analyze(images);
    images.dispose();
    expect(conditionalAccuracy(probs, Array.from({ length: n }, (_, i) => i % 10))).toEqual({ accuracy: r.conditionalAccuracy, perClass });
    expect(formatEvalResult(r)).toMatch(/^eval: fashion-mnist n=100 FID .* coverage 10\/10 accuracy 0\.\d{3} \(0: .*, 9: [\d.]+\) \[[\d.]+ s\]$/);
  });

  it("with labelWeights draws the labels in proportion to them and reports no conditional accuracy: a generator's whole distribution", async () => {
    const g = conditionalFake();
    // Only trousers (1) and bags (8), three times as many bags.
    const weights = [0, 1, 0, 0, 0, 0, 0, 0, 3, 0];
    const before = tf.memory().numTensors;
    const r = await evaluateGenerator(g, { dataset: "fashion-mnist", n: 40, labelWeights: weights });
    expect(tf.memory().numTensors).toBe(before);
    const asked = g.labels.flatMap((l) => l?.values ?? []);
    expect(asked).toEqual([...new Array(10).fill(1), ...new Array(30).fill(8)]);
    expect(r.conditionalAccuracy).toBeUndefined();
    expect(r.perClassAccuracy).toBeUndefined();
    expect(r.shares[8]).toBeGreaterThan(0.6);
    expect(r.shares[1]).toBeGreaterThan(0.15);
    expect(r.coverage).toBe(2);
    await expect(evaluateGenerator(conditionalFake(), { dataset: "fashion-mnist", n: 10, labelWeights: [1, 1] })).rejects.toThrow(
      "evaluateGenerator: labelWeights has 2 weights, but the generator has 10 classes",
    );
  });

  it("finds low accuracy (about 1/10) when the generator ignores its labels, though its samples show most classes", async () => {
    const r = await evaluateGenerator(conditionalFake(true), { dataset: "fashion-mnist", n: 100 });
    expect(r.conditionalAccuracy).toBeLessThan(0.3);
    expect(r.coverage).toBeGreaterThanOrEqual(7);
  });

  it("passes no labels to an unconditional generator, nor with conditional: false", async () => {
    const seen: Array<ForwardOptions | undefined> = [];
    const plain = fakeGenerator(rampImages);
    const spy: GanGenerator = {
      ...plain,
      forward(z, o) {
        seen.push(o);
        return plain.forward(z, o);
      },
    };
    const r = await evaluateGenerator(spy, { n: 20 });
    expect(seen).toEqual([{ attentionMaps: false }]);
    expect(r.conditionalAccuracy).toBeUndefined();
    expect(r.perClassAccuracy).toBeUndefined();
    const g = conditionalFake(true);
    await evaluateGenerator(g, { dataset: "fashion-mnist", n: 20, conditional: false });
    expect(g.calls).toEqual([{ attentionMaps: false }]);
    // conditional: true labels an unconditional generator's samples too (it ignores them).
    seen.length = 0;
    const forced = await evaluateGenerator(spy, { n: 20, conditional: true });
    expect(Object.keys(seen[0] ?? {})).toEqual(["attentionMaps", "labels"]);
    expect(Object.keys(forced.perClassAccuracy ?? {})).toEqual(["7", "8"]);
  });

  it("numbers the labels by class or by position in the classes", async () => {
    const g = conditionalFake();
    await evaluateGenerator(g, { dataset: "fashion-mnist", classes: [5, 7], n: 4 });
    expect(g.labels[0]?.values).toEqual([5, 7, 5, 7]);
    // A generator trained on the class folders of sandals and sneakers only: its labels 0 and 1.
    const indexed = { ...conditionalFake(), numClasses: 2 };
    const r = await evaluateGenerator(indexed, { dataset: "fashion-mnist", classes: [5, 7], n: 4, classLabels: "index" });
    expect(indexed.labels[0]?.values).toEqual([0, 1, 0, 1]);
    expect(Object.keys(r.perClassAccuracy ?? {})).toEqual(["5", "7"]); // in the classifier's labels
    // Found without being told: two classes, a two-class generator, and class 7 out of its range.
    const guessed = { ...conditionalFake(), numClasses: 2 };
    await evaluateGenerator(guessed, { dataset: "fashion-mnist", classes: [5, 7], n: 4 });
    expect(guessed.labels[0]?.values).toEqual([0, 1, 0, 1]);
    await expect(evaluateGenerator({ ...conditionalFake(), numClasses: 3 }, { dataset: "fashion-mnist", classes: [5, 7], n: 4 })).rejects.toThrow(
      /the generator has 3 classes, so label 7 is out of range; pass classLabels: "index" if its labels number the classes \[5, 7\] in order/,
    );
  });
});

describe("evalCallback and gan eval on Fashion-MNIST", () => {
  it("write the data set, coverage and conditional accuracy into metrics.jsonl, which still parses", async () => {
    const runDir = path.join(tmp, "run");
    await fs.mkdir(runDir);
    const g = conditionalFake();
    const cb = evalCallback({ dataset: "fashion-mnist", n: 50 });
    const ctx = { runDir, generator: g, epoch: 0, epochs: 1, step: 3, resumed: false, startStep: 0 } as unknown as TrainerContext;
    await cb.onTrainStart?.(ctx);
    await cb.onEpochEnd?.(ctx, {} as never);
    const [line] = await readMetrics(path.join(runDir, "metrics.jsonl"));
    expect(line).toMatchObject({ type: "eval", step: 3, n: 50, dataset: "fashion-mnist", classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], coverage: 10 });
    const record = line as unknown as { conditionalAccuracy: number; perClassAccuracy: Record<string, number> };
    expect(record.conditionalAccuracy).toBeGreaterThan(0.8);
    expect(Object.keys(record.perClassAccuracy)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("gan eval takes the data set and classes", async () => {
    const checkpoint = path.join(tmp, "run2", "checkpoints", "step-00000001");
    await fs.mkdir(checkpoint, { recursive: true });
    const w = tf.zeros([1]);
    await fs.writeFile(path.join(checkpoint, "generator.safetensors"), encodeSafetensors({ w }));
    w.dispose();
    const lines: string[] = [];
    const r = await evalCommand({ run: checkpoint, n: 20, dataset: "fashion-mnist", classes: [1, 8] }, () => conditionalFake(), { log: (l) => lines.push(l) });
    expect(r).toMatchObject({ dataset: "fashion-mnist", classes: [1, 8], digits: [1, 8], coverage: 2, covered: [1, 8] });
    expect(Object.keys(r.perClassAccuracy ?? {})).toEqual(["1", "8"]);
    expect(r.conditionalAccuracy).toBeGreaterThan(0.6);
    expect(lines[0]).toMatch(/^run2 step-00000001: fashion-mnist n=20 .* coverage 2\/2 accuracy [\d.]+ \(1: [\d.]+, 8: [\d.]+\) \[[\d.]+ s\]$/);
  });
});

describe("marginalLabels", () => {
  it("gives each label its share of n, in label order, deterministically", () => {
    expect(Array.from(marginalLabels([1, 1], 4))).toEqual([0, 0, 1, 1]);
    expect(Array.from(marginalLabels([6, 0, 2, 2], 10))).toEqual([0, 0, 0, 0, 0, 0, 2, 2, 3, 3]);
    const counts = new Array(3).fill(0);
    for (const l of marginalLabels([170, 120, 42], 1000)) counts[l]++;
    for (const [j, c] of counts.entries()) expect(Math.abs(c - (1000 * [170, 120, 42][j]) / 332)).toBeLessThanOrEqual(1);
  });

  it("refuses weights that are empty, negative or all zero", () => {
    for (const bad of [[], [1, -1], [0, 0]]) expect(() => marginalLabels(bad, 4)).toThrow("marginalLabels: expected non-negative weights with a positive sum");
  });
});
