// Run by tools/install-test/run.mjs inside a fresh project outside the workspace, where npm installed @gan/sagan,
// @gan/trainer and @gan/data from the packed tarballs: the `npm install @gan/sagan` promise, from CommonJS.
// Builds a tiny SAGAN, trains it a few steps on a generated image folder, saves it, loads it into a fresh model
// and samples a PNG. esm.mjs does the same from an ES module.
const assert = require("node:assert/strict");
const fs = require("node:fs/promises");
const path = require("node:path");
const { DataLoader } = require("@gan/data");
const { ImageFolder } = require("@gan/data/node");
const { loadWeights, saveWeights } = require("@gan/layers/node");
const { hingeLoss } = require("@gan/losses");
const { recipes, withOverrides } = require("@gan/recipes");
const { trainRecipe } = require("@gan/recipes/node");
const { SaganDiscriminator, SaganGenerator } = require("@gan/sagan");
const { dataLoaderSource } = require("@gan/trainer");
const { encodePng, imagesToRgb, tileGrid, train } = require("@gan/trainer/node");
require("@tensorflow/tfjs-backend-cpu");
const tf = require("@tensorflow/tfjs-core");
const sharp = require("sharp");

const work = path.join(__dirname, "out-cjs");

async function main() {
  // The CommonJS builds were picked, not the ESM ones.
  for (const name of ["@gan/sagan", "@gan/data", "@gan/trainer"]) {
    const resolved = require.resolve(name);
    assert.match(resolved, /node_modules[\\/]@gan[\\/][a-z]+[\\/]dist[\\/]index\.cjs$/, `${name} resolved to ${resolved}`);
  }

  await fs.rm(work, { recursive: true, force: true });
  await tf.setBackend("cpu");

  // 8 gray 64×64 PNGs: a bright disc at a different place in each.
  const dataDir = path.join(work, "images");
  await fs.mkdir(dataDir, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const pixels = Buffer.alloc(64 * 64);
    for (let p = 0; p < pixels.length; p++) {
      pixels[p] = Math.max(0, 255 - 8 * Math.round(Math.hypot((p % 64) - (12 + 5 * i), Math.floor(p / 64) - 32)));
    }
    await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } }).png().toFile(path.join(dataDir, `digit-${i}.png`));
  }

  const images = await ImageFolder.open(dataDir, { channels: 1, size: 64 });
  const loader = new DataLoader(images, { batchSize: 4, seed: 0 });
  const generator = new SaganGenerator({ width: 4, seed: 0 });
  const discriminator = new SaganDiscriminator({ width: 4, seed: 1 });
  const runDir = path.join(work, "run");
  const result = await train({
    generator,
    discriminator,
    loss: hingeLoss(),
    data: dataLoaderSource(loader),
    epochs: 1,
    runDir,
    samples: { count: 4 },
    attention: { count: 1 },
  });
  assert.equal(result.status, "completed");
  assert.equal(result.step, 2);

  // Save, load into a fresh model built with another seed, and check both now generate the same images.
  const weights = path.join(work, "generator.safetensors");
  await saveWeights(generator, weights);
  const loaded = new SaganGenerator({ width: 4, seed: 123 });
  const z = tf.randomNormal([4, 20], 0, 1, "float32", 7);
  generator.eval();
  loaded.eval();
  const before = loaded.forward(z);
  await loadWeights(loaded, weights);
  const expected = generator.forward(z);
  const sampled = loaded.forward(z);
  assert.ok(tf.max(tf.abs(tf.sub(before.images, expected.images))).dataSync()[0] > 1e-4, "a fresh model differs");
  assert.ok(tf.max(tf.abs(tf.sub(sampled.images, expected.images))).dataSync()[0] < 1e-6, "the loaded model equals the trained one");

  // Sample a PNG grid and decode it.
  const png = path.join(work, "sample.png");
  await fs.writeFile(png, await encodePng(tileGrid(imagesToRgb(sampled.images), { columns: 2, gap: 0 })));
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, "png");
  assert.deepEqual([meta.width, meta.height], [128, 128]);
  for (const file of ["config.json", "metrics.jsonl", "losses.png", "samples/epoch-0000.png", "attention/epoch-0000.png"]) {
    await fs.access(path.join(runDir, file));
  }
  // The fast recipe, as `gan demo` trains it, at width 4 for one epoch: a run folder with the EMA's grids.
  const recipe = withOverrides(recipes.fast, { model: { width: 4 }, batchSize: 4, epochs: 1, training: { eval: undefined } });
  const fast = await trainRecipe(recipe, { data: dataDir, runDir: path.join(work, "fast") });
  assert.equal(fast.status, "completed");
  assert.equal(fast.step, 1);
  await fs.access(path.join(work, "fast", "samples-ema", "epoch-0000.png"));

  console.log(`install test (CJS): trained ${result.step} steps, saved, loaded and sampled ${path.relative(process.cwd(), png)} (${meta.width}×${meta.height} PNG)`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
