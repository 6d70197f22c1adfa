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
}

/**
 * Opens an image folder as the trainer's data source: decoded and normalised to [-1, 1] by @gan/data, batched
 * and shuffled by its seeded DataLoader, whose state goes into checkpoints.
 */
export async function openImageSource(dir: string, options: ImageSourceOptions): Promise<DataSource & { length: number }> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`--data: ${dir} does not exist (prepare it with 'gan prepare mnist78 --out ${dir}')`);
  if (!info.isDirectory()) throw new Error(`--data: ${dir} is a file, expected a folder of images`);
  const dataset = await ImageFolder.open(dir, { channels: options.channels, size: options.size });
  const loader = new DataLoader(dataset, { batchSize: options.batchSize, seed: options.seed, shuffle: true });
  return Object.assign(dataLoaderSource(loader), { length: dataset.length });
}
