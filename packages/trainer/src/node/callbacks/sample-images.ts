import * as tf from "@tensorflow/tfjs-core";
import type { TrainerCallback, TrainerContext } from "../../callback";
import { checkEvery, epochFileName, isDueEpoch } from "../../callbacks/schedule";
import type { ModelEma } from "../../ema";
import { type RgbImage, imagesToRgb, resizeNearest, stackVertical, tileGrid } from "../../image/rgb-image";
import { encodePng } from "../png";
import { requireRunDir, writeRunFile } from "./run-file";

/** Options of {@link sampleImages}. */
export interface SampleImagesOptions {
  /** Draw after every this many epochs, and after the last (default 1). */
  everyEpochs?: number;
  /** Generated images per grid, from the first rows of the trainer's fixed noise (default 8). */
  count?: number;
  /** Images per row (default 8). */
  columns?: number;
  /** Put a grid of as many real images above the generated ones (default true). */
  showReal?: boolean;
  /** Integer upscaling of every image (default: the smallest that makes images at least 64 pixels tall). */
  scale?: number;
  /** Folder inside the run folder (default `samples`). */
  folder?: string;
  /**
   * Draw with the averaged generator: `generatorEma()`'s callback (or anything with an `ema`). Give such a
   * grid its own `folder` (e.g. `samples-ema`). Until the average exists, nothing is drawn.
   */
  ema?: { readonly ema: ModelEma | undefined };
}

/** Integer upscale factor that makes an image of `height` pixels at least 64 tall. */
export function defaultScale(height: number): number {
  return Math.max(1, Math.ceil(64 / height));
}

/** Scales tiles up by an integer factor with nearest neighbour. */
export function scaleTiles(tiles: RgbImage[], scale: number): RgbImage[] {
  return scale === 1 ? tiles : tiles.map((t) => resizeNearest(t, t.width * scale, t.height * scale));
}

/**
 * Writes `samples/epoch-NNNN.png`: images from a fixed noise drawn once (the same latent codes every time, so
 * the grids show how the generator evolves), generated in evaluation mode, with as many real images above them,
 * the first ones the epoch's batches brought. With `ema`, the images come from the generator's moving average.
 * A run that ends aborted (a signal, a time limit) also gets a grid for the epoch it stopped in.
 */
export function sampleImages(options: SampleImagesOptions = {}): TrainerCallback {
  const every = checkEvery(options.everyEpochs ?? 1, "sampleImages: option 'everyEpochs'");
  const count = checkEvery(options.count ?? 8, "sampleImages: option 'count'");
  const columns = checkEvery(options.columns ?? 8, "sampleImages: option 'columns'");
  const showReal = options.showReal ?? true;
  let real: tf.Tensor4D | undefined;
  let realEpoch = -1;
  let drawnStep = -1;

  const draw = async (ctx: TrainerContext) => {
    const runDir = requireRunDir(ctx, "sampleImages");
    const average = options.ema?.ema;
    if (options.ema && !average) return;
    const z = ctx.fixedNoise(count);
    const out = average ? await average.apply(() => ctx.generate(z)) : ctx.generate(z);
    let fakeTiles: RgbImage[];
    try {
      fakeTiles = imagesToRgb(out.images);
    } finally {
      tf.dispose([z, out.images, ...out.attentionMaps]);
    }
    const scale = options.scale ?? defaultScale(fakeTiles[0].height);
    const blocks = [];
    if (real) blocks.push(tileGrid(scaleTiles(imagesToRgb(real), scale), { columns }));
    blocks.push(tileGrid(scaleTiles(fakeTiles, scale), { columns }));
    await writeRunFile(runDir, options.folder ?? "samples", epochFileName(ctx.epoch), await encodePng(stackVertical(blocks, 6)));
    drawnStep = ctx.step;
  };

  return {
    name: "samples",
    onBatchEnd(ctx: TrainerContext, _metrics, realImages: tf.Tensor4D) {
      if (!showReal) return;
      if (realEpoch !== ctx.epoch) {
        real?.dispose();
        real = undefined;
        realEpoch = ctx.epoch;
      }
      const have = real?.shape[0] ?? 0;
      if (have >= count) return;
      const take = tf.slice(realImages, [0, 0, 0, 0], [Math.min(count - have, realImages.shape[0]), -1, -1, -1]);
      if (real) {
        const joined = tf.concat([real, take]);
        tf.dispose([real, take]);
        real = joined;
      } else {
        real = take;
      }
    },
    async onEpochEnd(ctx: TrainerContext) {
      if (isDueEpoch(ctx.epoch, every, ctx.epochs)) await draw(ctx);
    },
    // A run stopped early (Ctrl-C, --max-minutes) still leaves a grid of where it got to.
    async onTrainEnd(ctx: TrainerContext, end) {
      try {
        if (end.status === "aborted" && ctx.step > 0 && drawnStep !== ctx.step) await draw(ctx);
      } finally {
        real?.dispose();
        real = undefined;
        realEpoch = -1;
        drawnStep = -1;
      }
    },
  };
}
