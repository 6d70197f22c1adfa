// Bundled by esbuild from the *built* packages (their browser-safe main entries) and run in Chromium by
// train-in-chromium.test.ts: the fast recipe (at width 4) trains on the wasm backend, a checkpoint goes to
// IndexedDB, and a fresh trainer resumes from it. The results go to `window.__result`.
import { backendInfo, describeBackend, useWasmBackend } from "@gan/backend";
import { applyRecipe, fastRecipe, withOverrides } from "@gan/recipes";
import { type CheckpointStore, GanTrainer, IndexedDbCheckpointStore, arrayDataSource } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";

/** What the page reports. */
export interface PageResult {
  backend: string;
  steps: number;
  losses: number[];
  /** Generator weights after the unbroken run and after the resumed one (first 64 values of each tensor). */
  unbroken: Record<string, number[]>;
  resumed: Record<string, number[]>;
  /** Live tensors before the first run and after everything was disposed. */
  tensorsBefore: number;
  tensorsAfter: number;
  /** The sample grid's standard deviation after training (a blank grid has 0). */
  sampleStd: number;
  /** Mean absolute change of the sample grid (fixed noise) from before training to after. */
  sampleChange: number;
  resumedFrom: string | undefined;
}

// 16 images, 64×64, one bright disc each at a different place: enough for a few steps.
function discs(): tf.Tensor4D {
  return tf.tidy(() => {
    const size = 64;
    const out: tf.Tensor3D[] = [];
    for (let i = 0; i < 16; i++) {
      const cx = 16 + (i % 4) * 10;
      const cy = 16 + Math.floor(i / 4) * 10;
      const ys = tf.reshape(tf.range(0, size), [size, 1]);
      const xs = tf.reshape(tf.range(0, size), [1, size]);
      const d2 = tf.add(tf.square(tf.sub(xs, cx)), tf.square(tf.sub(ys, cy)));
      out.push(tf.reshape(tf.sub(tf.mul(tf.cast(tf.less(d2, 100), "float32"), 2), 1), [size, size, 1]));
    }
    return tf.stack(out) as tf.Tensor4D;
  });
}

const recipe = withOverrides(fastRecipe, { model: { width: 4 }, batchSize: 4, epochs: 2, training: { eval: undefined } });

/** Trains `epochs` epochs (2 steps each: 4 batches, 2 D steps per G step) from scratch or from the store's latest. */
async function run(images: tf.Tensor4D, epochs: number, store?: CheckpointStore, resume = false) {
  const r = applyRecipe(recipe, { seed: 0 });
  const losses: number[] = [];
  const trainer = new GanTrainer({
    ...r.trainerOptions,
    epochs,
    generator: r.generator,
    discriminator: r.discriminator,
    loss: r.loss,
    data: arrayDataSource(images, { batchSize: recipe.batchSize }),
    callbacks: [...r.callbacks, { name: "losses", onBatchEnd: (_ctx, m) => void losses.push(m.dLoss, m.gLoss) }],
    ...(store ? { store } : {}),
  });
  const resumedFrom = resume ? await trainer.resume() : undefined;
  const before = tf.tidy(() => trainer.generate(trainer.fixedNoise(8)).images);
  const result = await trainer.fit();
  if (store && !resume) await trainer.saveCheckpoint();
  const weights: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(r.generator.stateDict())) weights[name] = Array.from(t.dataSync().slice(0, 64));
  const [variance, change] = tf.tidy(() => {
    const after = trainer.generate(trainer.fixedNoise(8)).images;
    return [tf.moments(after).variance.dataSync()[0], tf.mean(tf.abs(tf.sub(after, before))).dataSync()[0]];
  });
  before.dispose();
  trainer.dispose();
  r.dispose();
  return { steps: result.step, losses, weights, sampleStd: Math.sqrt(variance), sampleChange: change, resumedFrom };
}

async function main(): Promise<PageResult> {
  await useWasmBackend({ wasmPaths: new URL("./", location.href).href });
  const tensorsBefore = tf.memory().numTensors;
  const images = discs();
  const unbroken = await run(images, 2);
  const store = new IndexedDbCheckpointStore({ database: `browser-check-${Date.now()}` });
  await run(images, 1, store);
  const resumed = await run(images, 2, store, true);
  await store.close();
  images.dispose();
  return {
    backend: describeBackend(backendInfo()),
    steps: unbroken.steps,
    losses: unbroken.losses,
    unbroken: unbroken.weights,
    resumed: resumed.weights,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    sampleStd: unbroken.sampleStd,
    sampleChange: unbroken.sampleChange,
    resumedFrom: resumed.resumedFrom,
  };
}

const w = window as unknown as { __result?: PageResult; __error?: string };
main().then(
  (r) => {
    w.__result = r;
  },
  (e: unknown) => {
    w.__error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  },
);
