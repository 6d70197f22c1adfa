// Milliseconds per training iteration (D step + G step) of @gan/trainer on the pure-JS CPU backend, for tiny
// DCGAN and SAGAN models on 64×64 images. Build first: `pnpm --filter @gan/trainer build`, then
// `node packages/trainer/scripts/bench-step.mjs [steps]` (default 6 steps after 1 warm-up; median reported).
import "@tensorflow/tfjs-backend-cpu";
import * as dcgan from "@gan/dcgan";
import { bceLoss, hingeLoss } from "@gan/losses";
import * as sagan from "@gan/sagan";
import * as tf from "@tensorflow/tfjs-core";
import { GanTrainer } from "../dist/index.js";

await tf.setBackend("cpu");
const steps = Number(process.argv[2] ?? 6);
const batch = tf.tidy(() => tf.tanh(tf.randomNormal([4, 64, 64, 1], 0, 1, "float32", 1)));

const cases = [
  ["DCGAN width 2", dcgan, bceLoss, 2],
  ["DCGAN width 8", dcgan, bceLoss, 8],
  ["SAGAN width 2", sagan, hingeLoss, 2],
];
for (const [name, pkg, loss, width] of cases) {
  const generator = pkg.createGenerator({ width, seed: 1 });
  const discriminator = pkg.createDiscriminator({ width, seed: 2 });
  const trainer = new GanTrainer({ generator, discriminator, loss: loss(), data: { epoch: async function* () {} }, epochs: 1 });
  const times = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    await trainer.trainStep(batch);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}, batch 4, 64×64: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms per step (${steps} steps)`);
  trainer.dispose();
  generator.dispose();
  discriminator.dispose();
}
batch.dispose();
