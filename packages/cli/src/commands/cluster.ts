import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { clusterImages } from "@gan/data";
import { ImageFolder } from "@gan/data/node";
import type { CommandIO } from "./train";

/** Options of `gan cluster`. */
export interface ClusterCommandOptions {
  /** A folder of images (searched recursively; class sub-folders, if any, are ignored). */
  data: string;
  /** Clusters to form: the pseudo-classes. */
  clusters: number;
  /** The new folder: one sub-folder per cluster. It must not exist yet, or be empty. */
  out: string;
  /** Seeds the k-means++ starts (default 0). */
  seed?: number;
  /** 1 (grayscale, default) or 3: the channels the images are clustered in. */
  channels?: 1 | 3;
}

/** What {@link clusterCommand} wrote. */
export interface ClusterCommandResult {
  /** The cluster folders' names, cluster 0 (the largest) first. */
  folders: string[];
  /** Images per cluster. */
  sizes: number[];
}

/**
 * `gan cluster`: sorts an unlabelled image folder into `clusters` sub-folders of look-alikes (`clusterImages` of
 * `@gan/data`: k-means of 16×16 thumbnails), copying each image into `out/cluster-NN/`. A conditional recipe then
 * trains on the clusters as pseudo-classes (`gan train --recipe fastConditional --working-size 64 --data out`), and
 * `gan eval --marginal` / `gan sample --marginal` draw from all of them in their share of the data. The folder
 * appears complete or not at all: it is written beside `out` and renamed into place.
 */
export async function clusterCommand(options: ClusterCommandOptions, io: CommandIO): Promise<ClusterCommandResult> {
  const out = resolve(options.out);
  const existing = await stat(out).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new Error(`--out: ${options.out} is a file, expected a new folder`);
  if (existing && (await readdir(out)).length > 0) throw new Error(`--out: ${options.out} is not empty; give a new folder (gan cluster writes one sub-folder per cluster)`);
  const root = resolve(options.data);
  if (out === root || out.startsWith(root + sep)) throw new Error(`--out: ${options.out} is inside --data ${options.data}; give a folder outside it`);
  const dataset = await ImageFolder.open(options.data, { channels: options.channels ?? 1, size: 64 });
  if (options.clusters > dataset.length) throw new Error(`--clusters: ${options.clusters} clusters for ${dataset.length} images in ${options.data}`);
  const started = performance.now();
  const { assignments, sizes } = await clusterImages(dataset, options.clusters, { seed: options.seed ?? 0 });
  const distinct = sizes.filter((s) => s > 0).length;
  if (distinct < sizes.length) throw new Error(`--clusters: the images of ${options.data} fall into only ${distinct} distinct clusters (their thumbnails repeat); ask for at most ${distinct}`);
  const digits = String(options.clusters - 1).length;
  const folders = sizes.map((_, j) => `cluster-${String(j).padStart(Math.max(2, digits), "0")}`);
  const partial = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  try {
    for (const f of folders) await mkdir(join(partial, f), { recursive: true });
    for (let i = 0; i < dataset.length; i++) {
      const file = dataset.files[i];
      // The path under --data, flattened: two classes' img_0.jpg stay two files.
      const name = relative(root, file).split(sep).join("_");
      await copyFile(file, join(partial, folders[assignments[i]], name));
    }
    if (existing) await rm(out, { recursive: true });
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    throw e;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  io.log(`wrote ${dataset.length} images of ${options.data} into ${sizes.length} cluster folders of ${options.out} (${sizes.join(", ")} images; ${seconds} s)`);
  io.log(`train on the clusters as classes: gan train --recipe fastConditional --working-size 64 --data ${options.out}`);
  return { folders, sizes };
}
