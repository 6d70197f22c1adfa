// Baselines for packages/metrics/README.md: real Fashion-MNIST images scored by @gan/metrics' Fashion-MNIST
// classifier — the whole test split (accuracy overall and per class, purity, coverage), and real sets against
// the reference at n = 400 and 1000 (FID and KID of two disjoint sets of the test split: the floor a generator
// can reach at that n), with gaussian noise for scale. Usage (after `pnpm turbo run build --filter=@gan/metrics...`):
//   node tools/metrics/fashion-baselines.mjs [n ...=400 1000]
import { createRequire } from "node:module";
// tfjs as @gan/metrics resolves it (one engine instance).
const require = createRequire(new URL("../../packages/metrics/package.json", import.meta.url));
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");
import { conditionalAccuracy, coverage, FASHION_MNIST_CLASS_NAMES, purity } from "../../packages/metrics/dist/index.js";
import { defaultClassifier, evaluateImages, formatEvalResult, referenceImages } from "../../packages/metrics/dist/node.js";

await tf.setBackend("cpu");
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [400, 1000];
const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const classifier = await defaultClassifier("fashion-mnist");
console.log(`classifier (PyTorch) test accuracy ${classifier.metadata.test_accuracy}`);

// The whole test split, 1,000 per class, interleaved (image i is of class i % 10).
const t0 = performance.now();
const all = await referenceImages({ dataset: "fashion-mnist", n: 10000 });
const { probs } = await classifier.analyze(all, 500);
all.dispose();
const labels = Int32Array.from({ length: 10000 }, (_, i) => i % 10);
const acc = conditionalAccuracy(probs, labels);
const cov = coverage(probs, { classes });
console.log(
  `test split (10,000): accuracy ${acc.accuracy.toFixed(4)}, purity ${purity(probs, classes).toFixed(4)}, coverage ${cov.count}/10 ` +
    `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
console.log(`  per class: ${classes.map((c) => `${FASHION_MNIST_CLASS_NAMES[c]} ${acc.perClass[c].toFixed(3)}`).join(", ")}`);
// Per class: the share called that class with p > 0.9 (what purity counts, per class).
const confident = classes.map((c) => {
  let k = 0;
  for (let i = c; i < 10000; i += 10) {
    const row = probs.data.subarray(i * 10, i * 10 + 10);
    if (row[c] > 0.9) k++;
  }
  return k / 1000;
});
console.log(`  called their class with p > 0.9: ${classes.map((c) => `${FASHION_MNIST_CLASS_NAMES[c]} ${confident[c].toFixed(3)}`).join(", ")}`);

for (const n of sizes) {
  // The reference is the first n/10 test images of each class; these are the next n/10 (disjoint).
  const real = await referenceImages({ dataset: "fashion-mnist", n, skipPerClass: Math.ceil(n / 10) });
  const requestedLabels = Int32Array.from({ length: n }, (_, i) => i % 10);
  console.log(formatEvalResult(await evaluateImages(real, { dataset: "fashion-mnist", n, requestedLabels }), `real test images, n=${n}`));
  real.dispose();
  const noise = tf.tidy(() => tf.clipByValue(tf.randomNormal([n, 64, 64, 1], -0.6, 0.6, "float32", 1), -1, 1));
  console.log(formatEvalResult(await evaluateImages(noise, { dataset: "fashion-mnist", n }), `gaussian noise, n=${n}`));
  noise.dispose();
}
