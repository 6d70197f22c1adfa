import * as tf from "@tensorflow/tfjs-core";
import type { TrainerCallback, TrainerContext } from "../../callback";
import { checkEvery, epochFileName, isDueEpoch } from "../../callbacks/schedule";
import { type RelativePixel, attentionFigure } from "../../image/attention-figure";
import { imagesToRgb } from "../../image/rgb-image";
import { encodePng } from "../png";
import { requireRunDir, writeRunFile } from "./run-file";
import { defaultScale, scaleTiles } from "./sample-images";

/** Options of {@link attentionMaps}. */
export interface AttentionMapsOptions {
  /** Draw after every this many epochs, and after the last (default 1). */
  everyEpochs?: number;
  /** Images drawn, the first rows of the trainer's fixed noise (default 5, as the reference). */
  count?: number;
  /** The query pixel as fractions of width and height (default the centre, `{ x: 0.5, y: 0.5 }`). */
  pixel?: RelativePixel;
  /** Integer upscaling (default: the smallest that makes images at least 64 pixels tall). */
  scale?: number;
  /** Folder inside the run folder (default `attention`). */
  folder?: string;
}

/**
 * Writes `attention/epoch-NNNN.png` for generators that return attention maps (others are skipped after a
 * first look): the fixed-noise images (evaluation mode) in the top row with the query pixel outlined, and
 * below each, one row per attention layer, where that pixel attends, drawn as the reference does it
 * (normalised per map, matplotlib's `Reds`, upscaled by nearest neighbour).
 */
export function attentionMaps(options: AttentionMapsOptions = {}): TrainerCallback {
  const every = checkEvery(options.everyEpochs ?? 1, "attentionMaps: option 'everyEpochs'");
  const count = checkEvery(options.count ?? 5, "attentionMaps: option 'count'");
  let hasMaps = true;
  return {
    name: "attention",
    async onEpochEnd(ctx: TrainerContext) {
      if (!hasMaps || !isDueEpoch(ctx.epoch, every, ctx.epochs)) return;
      const runDir = requireRunDir(ctx, "attentionMaps");
      const z = ctx.fixedNoise(count);
      const out = ctx.generate(z);
      try {
        if (out.attentionMaps.length === 0) {
          hasMaps = false;
          return;
        }
        const [, h, w] = out.images.shape;
        const tiles = imagesToRgb(out.images);
        const figure = attentionFigure(scaleTiles(tiles, options.scale ?? defaultScale(h)), out.attentionMaps, [h, w], {
          pixel: options.pixel,
        });
        await writeRunFile(runDir, options.folder ?? "attention", epochFileName(ctx.epoch), await encodePng(figure));
      } finally {
        tf.dispose([z, out.images, ...out.attentionMaps]);
      }
    },
  };
}
