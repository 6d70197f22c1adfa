import { DataLoader } from "@gan/data";
import { ImageFolder } from "@gan/data/node";
import { type DataSource, dataLoaderSource } from "@gan/trainer";
import { stat } from "node:fs/promises";

/** Options of {@link openImageSource}. */
export interface ImageSourceOptions {
  batchSize: number;
  seed: number;
  channels: 1 | 3;
  /** Image side in pixels (the models make 64×64). */
  size: number;
  /** Leave out files that fail to decode (`--skip-invalid`; every image is decoded once up front), reporting them through `warn`. */
  skipInvalid?: boolean;
  /** Where the list of skipped files goes. */
  warn?: (message: string) => void;
}

/**
 * Opens an image folder as the trainer's data source: decoded and normalised to [-1, 1] by @gan/data, batched
 * and shuffled by its seeded DataLoader, whose state goes into checkpoints.
 */
export async function openImageSource(dir: string, options: ImageSourceOptions): Promise<DataSource & { length: number }> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`--data: ${dir} does not exist (prepare it with 'gan prepare mnist78 --out ${dir}')`);
  if (!info.isDirectory()) throw new Error(`--data: ${dir} is a file, expected a folder of images`);
  const dataset = await ImageFolder.open(dir, {
    channels: options.channels,
    size: options.size,
    ...(options.skipInvalid ? { skipInvalid: true, onWarning: (m: string) => (options.warn ?? console.warn)(m) } : {}),
  }).catch((e: Error) => {
    // The library's advice, in the command line's words.
    e.message = e.message.replace("pass skipInvalid: true to leave them out", "pass --skip-invalid to leave them out");
    throw e;
  });
  const loader = new DataLoader(dataset, { batchSize: options.batchSize, seed: options.seed, shuffle: true });
  return Object.assign(dataLoaderSource(loader), { length: dataset.length });
}
