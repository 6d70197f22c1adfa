// Trains SAGAN with this example's own parts, through the public plugin interfaces only:
//   - the attention slot of SaganConfig:   attention: (channels, random) => new PooledSelfAttention(...)
//   - the loss option of the trainer:      loss: leastSquaresLoss()  (a GanLoss of @gan/spec)
//   - a trainer callback (TrainerCallback): attentionGammas() logs how much each attention block is used
//
//   node train.mjs [--data data/img_78] [--epochs 20] [--batch-size 64] [--width 16] [--out runs/custom-layer]
//                  [--backend auto] [--seed 0]
// Without --data it prepares the reference's MNIST 7/8 folder (400 images) into data/img_78 first.
//
// The same attention from the command line (my-layer.mjs registers it as "pooled-attention"):
//   gan train --plugin ./my-layer.mjs --attention pooled-attention --data data/img_78
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { selectBackend } from "@gan/backend/node";
import { DataLoader } from "@gan/data";
import { ImageFolder, prepareMnist } from "@gan/data/node";
import { SaganDiscriminator, SaganGenerator } from "@gan/sagan";
import { dataLoaderSource } from "@gan/trainer";
import { train } from "@gan/trainer/node";
import { PooledSelfAttention, leastSquaresLoss } from "./my-layer.mjs";

/**
 * A TrainerCallback: after every epoch, records the `gamma` of each attention block of the generator (the weight
 * of the attention branch, 0 at the start), so one can watch the network start to use its attention.
 *
 * @param {(message: string) => void} [log]
 * @returns {import("@gan/trainer").TrainerCallback & { history: Array<{ epoch: number, gammas: number[] }> }}
 */
export function attentionGammas(log = console.log) {
  /** @type {Array<{ epoch: number, gammas: number[] }>} */
  const history = [];
  return {
    name: "attention-gammas",
    history,
    onEpochEnd(ctx) {
      const blocks = [...(ctx.generator.attentions?.values() ?? [])];
      const gammas = blocks.map((block) => block.gamma.dataSync()[0]);
      history.push({ epoch: ctx.epoch, gammas });
      log(`epoch ${ctx.epoch + 1}: attention gammas ${gammas.map((g) => g.toExponential(2)).join(", ")}`);
    },
  };
}

/**
 * Builds SAGAN with the pooled attention in its attention slots (generator and discriminator) and trains it with
 * the least-squares loss and the standard run folder (config.json, metrics.jsonl, samples/, losses.png,
 * checkpoints/).
 *
 * @param {{
 *   data: import("@gan/trainer").DataSource, runDir: string, epochs?: number, width?: number, seed?: number,
 *   samples?: import("@gan/trainer/node").SampleImagesOptions | false, log?: (message: string) => void,
 * }} options
 */
export async function trainWithPlugins(options) {
  const { data, runDir, epochs = 20, width = 16, seed = 0, samples, log = console.log } = options;
  /** @type {import("@gan/sagan").AttentionFactory} */
  const attention = (channels, random) => new PooledSelfAttention(channels, { random });
  const generator = new SaganGenerator({ zDim: 20, width, seed, attention });
  const discriminator = new SaganDiscriminator({ width, seed: seed + 1, attention });
  const gammas = attentionGammas(log);
  try {
    const result = await train({
      generator,
      discriminator,
      loss: leastSquaresLoss(),
      data,
      epochs,
      seed,
      runDir,
      ...(samples === undefined ? {} : { samples }),
      callbacks: [gammas],
      config: { example: "custom-layer", attention: "pooled-attention", width },
    });
    return { result, generator, discriminator, gammas: gammas.history };
  } catch (e) {
    generator.dispose();
    discriminator.dispose();
    throw e;
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      epochs: { type: "string", default: "20" },
      "batch-size": { type: "string", default: "64" },
      width: { type: "string", default: "16" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "runs/custom-layer" },
      backend: { type: "string", default: "auto" },
    },
  });
  await selectBackend(/** @type {import("@gan/backend/node").BackendName} */ (values.backend));
  let folder = values.data;
  if (!folder) {
    folder = "data/img_78";
    await prepareMnist({ digits: [7, 8], perDigit: 200, size: 64, outDir: folder });
  }
  const images = await ImageFolder.open(folder, { channels: 1, size: 64 });
  const loader = new DataLoader(images, { batchSize: Number(values["batch-size"]), shuffle: true, seed: Number(values.seed) });
  const { result, generator, discriminator } = await trainWithPlugins({
    data: dataLoaderSource(loader),
    runDir: values.out,
    epochs: Number(values.epochs),
    width: Number(values.width),
    seed: Number(values.seed),
  });
  generator.dispose();
  discriminator.dispose();
  console.log(`${result.status} after ${result.step} steps: see ${values.out}/samples and ${values.out}/losses.png`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
