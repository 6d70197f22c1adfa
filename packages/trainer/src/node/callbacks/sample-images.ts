import * as tf from "@tensorflow/tfjs-core";
import type { TrainerCallback, TrainerContext } from "../../callback";
import { checkEvery, epochFileName, isDueEpoch, stepFileName } from "../../callbacks/schedule";
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
  /** Images per row (default 8). A conditional generator draws one class per row (classes cycle when rows outnumber them). */
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
  /**
   * An early grid: when no grid has been drawn yet in this run (a fresh run, or a resumed one in this process),
   * draw one as soon as the run has trained this many seconds, named after the step it follows
   * (`step-0000042.png`, beside the `epoch-NNNN.png` grids), so that a long first epoch or a large `everyEpochs`
   * still shows the generator within the first minute. Not when the step ends an epoch whose grid is due (that grid
   * is the first). Default 30; `0` draws after the run's first step; `false` draws only the epoch grids.
   */
  firstAfterSeconds?: number | false;
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
 *
 * The first grid comes early: a run (fresh or resumed) that has drawn none after `firstAfterSeconds` (30) of
 * training draws `samples/step-NNNNNNN.png` after the step it has reached, once.
 */
export function sampleImages(options: SampleImagesOptions = {}): TrainerCallback {
  const every = checkEvery(options.everyEpochs ?? 1, "sampleImages: option 'everyEpochs'");
  const count = checkEvery(options.count ?? 8, "sampleImages: option 'count'");
  const columns = checkEvery(options.columns ?? 8, "sampleImages: option 'columns'");
  const showReal = options.showReal ?? true;
  const firstAfter = options.firstAfterSeconds ?? 30;
  if (firstAfter !== false && !(firstAfter >= 0 && firstAfter < Number.POSITIVE_INFINITY)) {
    throw new Error(`sampleImages: option 'firstAfterSeconds' must be a number >= 0 or false, got ${firstAfter}`);
  }
  let real: tf.Tensor4D | undefined;
  let realEpoch = -1;
  let drawnStep = -1;
  /** When this run's training started (`performance.now()`), for the early grid. */
  let started: number | undefined;

  /** Draws a grid into `file` (nothing while an `ema` has no average yet). */
  const draw = async (ctx: TrainerContext, file: string): Promise<void> => {
    const runDir = requireRunDir(ctx, "sampleImages");
    const average = options.ema?.ema;
    if (options.ema && !average) return;
    const z = ctx.fixedNoise(count);
    // A conditional generator draws one class per row: fixed labels floor(i / columns) mod numClasses.
    const labels = ctx.fixedLabels(count, columns);
    let out: Awaited<ReturnType<TrainerContext["generate"]>>;
    try {
      out = average ? await average.apply(() => ctx.generate(z, labels)) : ctx.generate(z, labels);
    } catch (e) {
      tf.dispose([z, ...(labels ? [labels] : [])]);
      throw e;
    }
    let fakeTiles: RgbImage[];
    try {
      fakeTiles = imagesToRgb(out.images);
    } finally {
      tf.dispose([z, out.images, ...out.attentionMaps, ...(labels ? [labels] : [])]);
    }
    const scale = options.scale ?? defaultScale(fakeTiles[0].height);
    const blocks = [];
    if (real) blocks.push(tileGrid(scaleTiles(imagesToRgb(real), scale), { columns }));
    blocks.push(tileGrid(scaleTiles(fakeTiles, scale), { columns }));
    await writeRunFile(runDir, options.folder ?? "samples", file, await encodePng(stackVertical(blocks, 6)));
    drawnStep = ctx.step;
  };

  const collectReal = (ctx: TrainerContext, realImages: tf.Tensor4D) => {
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
  };

  return {
    name: "samples",
    onTrainStart() {
      started = performance.now();
      drawnStep = -1;
    },
    async onBatchEnd(ctx: TrainerContext, _metrics, realImages: tf.Tensor4D) {
      collectReal(ctx, realImages);
      started ??= performance.now(); // steps run without fit()
      // The early grid: nothing drawn yet in this run, it has trained long enough, and no epoch grid follows at once.
      if (firstAfter === false || drawnStep >= 0 || performance.now() - started < firstAfter * 1000) return;
      const epochEnds = ctx.batchesPerEpoch !== undefined && ctx.batchInEpoch >= ctx.batchesPerEpoch;
      if (!(epochEnds && isDueEpoch(ctx.epoch, every, ctx.epochs))) await draw(ctx, stepFileName(ctx.step));
    },
    async onEpochEnd(ctx: TrainerContext) {
      if (isDueEpoch(ctx.epoch, every, ctx.epochs)) await draw(ctx, epochFileName(ctx.epoch));
    },
    // A run stopped early (Ctrl-C, --max-minutes) still leaves a grid of where it got to.
    async onTrainEnd(ctx: TrainerContext, end) {
      try {
        if (end.status === "aborted" && ctx.step > 0 && drawnStep !== ctx.step) await draw(ctx, epochFileName(ctx.epoch));
      } finally {
        real?.dispose();
        real = undefined;
        realEpoch = -1;
        drawnStep = -1;
        started = undefined;
      }
    },
  };
}
