// Which digit each mode of a latent gap draws: for a run trained with `--latent-gap` (the demo), samples n codes
// in each cluster (every sign pattern of the split coordinates) from the newest checkpoint's generator, or its EMA
// with --ema, and scores them like `gan eval` (purity, balance = share of 7s). Usage (after `pnpm build`):
//   node tools/metrics/latent-modes.mjs runs/demo [--ema] [--n 400]
import { createRequire } from "node:module";
import { join } from "node:path";
import { selectBackend } from "../../packages/backend/dist/node.js";
import { buildModels } from "../../packages/recipes/dist/index.js";
import { Random } from "../../packages/layers/dist/index.js";
import { loadWeights } from "../../packages/layers/dist/node.js";
import { evaluateImages } from "../../packages/metrics/dist/node.js";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "../../packages/trainer/dist/index.js";
import { latestCheckpoint, readRunConfig } from "../../packages/trainer/dist/node/index.js";

const args = process.argv.slice(2);
const runDir = args[0];
const ema = args.includes("--ema");
const n = args.includes("--n") ? Number(args[args.indexOf("--n") + 1]) : 400;
if (!runDir || runDir.startsWith("--")) throw new Error("usage: node tools/metrics/latent-modes.mjs RUN_DIR [--ema] [--n 400]");
const tf = createRequire(join(process.cwd(), "packages/metrics/package.json"))("@tensorflow/tfjs-core");
await selectBackend("wasm", { log: () => {} });

const spec = (await readRunConfig(runDir)).extra?.model;
if (!spec?.model) throw new Error(`${runDir}/config.json: no model description (was it written by 'gan train'?)`);
const { generator, discriminator } = buildModels(spec);
discriminator.dispose();
const gap = generator.latentGap;
if (!gap) throw new Error(`${runDir}: the run's generator has no latent gap (train with --latent-gap)`);
const checkpoint = await latestCheckpoint(runDir);
if (!checkpoint) throw new Error(`${runDir}: no checkpoint`);
await loadWeights(generator, join(checkpoint, ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator));
generator.eval();

console.log(`${checkpoint}${ema ? " (EMA)" : ""}: ${gap.dims} split coordinate(s), gap ${gap.gap}, scale ${gap.scale}; n = ${n} per cluster`);
console.log("| signs of the split coordinates | purity | share of 7s |");
console.log("|---|---:|---:|");
for (let pattern = 0; pattern < 2 ** gap.dims; pattern++) {
  const signs = Array.from({ length: gap.dims }, (_, i) => ((pattern >> i) & 1 ? 1 : -1));
  const random = new Random(0);
  const images = tf.tidy(() => {
    const z = random.normal([n, generator.zDim]);
    // |z| with the cluster's sign on the split coordinates; the rest as drawn.
    const mask = tf.concat([tf.tensor2d([signs], [1, gap.dims]), tf.zeros([1, generator.zDim - gap.dims])], 1);
    const keep = tf.concat([tf.zeros([1, gap.dims]), tf.ones([1, generator.zDim - gap.dims])], 1);
    const codes = tf.add(tf.mul(tf.abs(z), mask), tf.mul(z, keep));
    const out = generator.forward(codes);
    tf.dispose(out.attentionMaps);
    return out.images;
  });
  const r = await evaluateImages(images);
  images.dispose();
  console.log(`| ${signs.map((s) => (s > 0 ? "+" : "−")).join(" ")} | ${r.purity.toFixed(3)} | ${r.balance.toFixed(2)} |`);
}
generator.dispose();
