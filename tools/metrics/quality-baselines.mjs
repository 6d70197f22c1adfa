// Baselines for docs/quality.md: scores of real held-out digits (a floor for FID/KID at this n) and of noise,
// with @gan/metrics' classifier. Usage (after `pnpm --filter @gan/metrics... build`):
//   node tools/metrics/quality-baselines.mjs [n=400]
import { createRequire } from "node:module";
// tfjs as @gan/metrics resolves it (one engine instance).
const require = createRequire(new URL("../../packages/metrics/package.json", import.meta.url));
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");
import { defaultClassifier, evaluateImages, formatEvalResult, referenceImages } from "../../packages/metrics/dist/node.js";

await tf.setBackend("cpu");
const n = Number(process.argv[2] ?? 400);
const classifier = await defaultClassifier();
console.log(`classifier test accuracy ${classifier.metadata.test_accuracy} (7s and 8s: ${classifier.metadata.test_accuracy_78})`);
// Real 7s and 8s not in the GAN's training set nor in the reference set (which takes those after the first 200).
const real = await referenceImages({ n, skipPerDigit: 200 + Math.ceil(n / 2) });
console.log(formatEvalResult(await evaluateImages(real, { n }), "real held-out digits"));
const noise = tf.tidy(() => tf.clipByValue(tf.randomNormal([n, 64, 64, 1], -0.6, 0.6, "float32", 1), -1, 1));
console.log(formatEvalResult(await evaluateImages(noise, { n }), "gaussian noise"));
const blank = tf.fill([n, 64, 64, 1], -1);
console.log(formatEvalResult(await evaluateImages(blank, { n }), "blank images"));
