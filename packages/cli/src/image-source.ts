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
  /**
   * Label every image by its class sub-folder (`gan train --conditional`): the batches carry labels and the source
   * names its `classes`. A folder without class sub-folders is an error saying how `gan prepare mnist` lays them out.
   */
  labels?: boolean;
}

/**
 * Opens an image folder as the trainer's data source: decoded and normalised to [-1, 1] by @gan/data, batched
 * and shuffled by its seeded DataLoader, whose state goes into checkpoints. With `labels`, labelled by class
 * sub-folder.
 */
export async function openImageSource(dir: string, options: ImageSourceOptions): Promise<DataSource & { length: number }> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new Error(`--data: ${dir} does not exist (prepare it with 'gan prepare mnist78 --out ${dir}')`);
  if (!info.isDirectory()) throw new Error(`--data: ${dir} is a file, expected a folder of images`);
  const dataset = await ImageFolder.open(dir, {
    channels: options.channels,
    size: options.size,
    ...(options.skipInvalid ? { skipInvalid: true, onWarning: (m: string) => (options.warn ?? console.warn)(m) } : {}),
    ...(options.labels ? { labels: true } : {}),
  }).catch((e: Error) => {
    if (options.labels && (e as { code?: string }).code === "NO_CLASS_FOLDER") {
      throw new Error(
        `--conditional: ${dir} has images outside class sub-folders (${e.message.replace(/^.*are not: /, "")}); a conditional run needs one sub-folder per class, as 'gan prepare mnist --out ${dir}' writes them (${dir}/0/, ${dir}/1/, … ${dir}/9/; --digits 7,8 for two classes)`,
        { cause: e },
      );
    }
    // The library's advice, in the command line's words.
    e.message = e.message.replace("pass skipInvalid: true to leave them out", "pass --skip-invalid to leave them out");
    throw e;
  });
  const loader = new DataLoader(dataset, { batchSize: options.batchSize, seed: options.seed, shuffle: true });
  return Object.assign(dataLoaderSource(loader), { length: dataset.length });
}
