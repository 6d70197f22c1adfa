// Trains the reference DCGAN on MNIST 7/8 through the packages' public API.
//   node train.mjs [--epochs 200] [--batch-size 64] [--width 64] [--out runs/dcgan-mnist78] [--backend auto]
// With @tensorflow/tfjs-node-gpu installed, `--backend auto` trains on the GPU; without it, on the embedded
// wasm backend (see README.md for what to expect).
import { parseArgs } from "node:util";
import { selectBackend } from "@gan/backend/node";
import { DataLoader } from "@gan/data";
import { ImageFolder, prepareMnist } from "@gan/data/node";
import { DcganDiscriminator, DcganGenerator } from "@gan/dcgan";
import { bceLoss } from "@gan/losses";
import { dataLoaderSource } from "@gan/trainer";
import { train } from "@gan/trainer/node";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "64" },
    width: { type: "string", default: "64" },
    seed: { type: "string", default: "0" },
    data: { type: "string", default: "data/img_78" },
    out: { type: "string", default: "runs/dcgan-mnist78" },
    backend: { type: "string", default: "auto" },
    resume: { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);

await selectBackend(values.backend);
await prepareMnist({ digits: [7, 8], perDigit: 200, size: 64, outDir: values.data });
const images = await ImageFolder.open(values.data, { channels: 1, size: 64 });
const loader = new DataLoader(images, { batchSize: Number(values["batch-size"]), shuffle: true, seed });

const generator = new DcganGenerator({ zDim: 20, width: Number(values.width), seed });
const discriminator = new DcganDiscriminator({ width: Number(values.width), seed: seed + 1 });
const result = await train({
  generator,
  discriminator,
  loss: bceLoss(),
  data: dataLoaderSource(loader),
  epochs: Number(values.epochs),
  seed,
  runDir: values.out,
  resume: values.resume,
  config: { example: "dcgan-mnist78", width: Number(values.width) },
});
console.log(`${result.status} after ${result.step} steps: see ${values.out}/samples, ${values.out}/losses.png`);
