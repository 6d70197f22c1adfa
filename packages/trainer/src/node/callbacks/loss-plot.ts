import * as path from "node:path";
import type { TrainerCallback, TrainerContext } from "../../callback";
import { checkEvery } from "../../callbacks/schedule";
import { lineChartSvg } from "../../plot/line-chart";
import { writeFileAtomic } from "../atomic-fs";
import { svgToPng } from "../png";
import { METRICS_FILE, readMetrics, recordsBefore } from "../run/metrics-file";
import { requireRunDir } from "./run-file";

/** Options of {@link lossPlot}. */
export interface LossPlotOptions {
  /** File inside the run folder (default `losses.png`). */
  file?: string;
  /** Redraw after every this many epochs (default 1); it is always drawn when training ends. */
  everyEpochs?: number;
  /**
   * Points drawn at most per line, per-step and epoch means alike; longer runs are averaged into this many buckets
   * (default 1500). Epoch means get dots while there are at most 100 of them. The picture's size stays bounded
   * however long the run: redrawn every epoch, a growing SVG made the process's memory grow with it.
   */
  maxPoints?: number;
  /** Pixel size (default 720×400). */
  width?: number;
  height?: number;
}

type Point = [number, number];

/** One point per bucket of consecutive points: the bucket's mean x and mean y. */
export function downsample(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return [...points];
  const out: Point[] = [];
  const size = points.length / maxPoints;
  for (let b = 0; b < maxPoints; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += points[i][0];
      sy += points[i][1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

/**
 * Draws `losses.png`: the D and G losses of every step (thin) and their epoch averages (thick, with dots, at
 * the step each epoch ended), against the step, with axes and a legend. Built as SVG and rasterised by sharp.
 * A resumed run reloads the history from `metrics.jsonl`.
 */
export function lossPlot(options: LossPlotOptions = {}): TrainerCallback {
  const every = checkEvery(options.everyEpochs ?? 1, "lossPlot: option 'everyEpochs'");
  const maxPoints = checkEvery(options.maxPoints ?? 1500, "lossPlot: option 'maxPoints'");
  let steps: { d: Point[]; g: Point[] } = { d: [], g: [] };
  let epochs: { d: Point[]; g: Point[] } = { d: [], g: [] };

  const draw = async (ctx: TrainerContext) => {
    if (steps.d.length === 0 && epochs.d.length === 0) return;
    const svg = lineChartSvg(
      [
        { label: "D loss (step)", points: downsample(steps.d, maxPoints), color: "#1f77b4", width: 1, opacity: 0.45 },
        { label: "G loss (step)", points: downsample(steps.g, maxPoints), color: "#ff7f0e", width: 1, opacity: 0.45 },
        { label: "D loss (epoch mean)", points: downsample(epochs.d, maxPoints), color: "#1f77b4", width: 2.5, markers: epochs.d.length <= 100 },
        { label: "G loss (epoch mean)", points: downsample(epochs.g, maxPoints), color: "#ff7f0e", width: 2.5, markers: epochs.g.length <= 100 },
      ],
      { title: `Losses (${ctx.lossName})`, xLabel: "step", yLabel: "loss", xInteger: true, width: options.width, height: options.height },
    );
    await writeFileAtomic(path.join(requireRunDir(ctx, "lossPlot"), options.file ?? "losses.png"), await svgToPng(svg));
  };

  return {
    name: "loss-plot",
    async onTrainStart(ctx) {
      steps = { d: [], g: [] };
      epochs = { d: [], g: [] };
      if (!ctx.resumed) return;
      const records = await readMetrics(path.join(requireRunDir(ctx, "lossPlot"), METRICS_FILE));
      for (const r of recordsBefore(records, ctx.startStep, ctx.epoch)) {
        // Other record types (evaluations, say) carry no losses.
        if (r.type !== "epoch" && r.type !== "step") continue;
        const target = r.type === "epoch" ? epochs : steps;
        target.d.push([r.step, r.dLoss]);
        target.g.push([r.step, r.gLoss]);
      }
    },
    onBatchEnd(_ctx, m) {
      steps.d.push([m.step, m.dLoss]);
      steps.g.push([m.step, m.gLoss]);
    },
    async onEpochEnd(ctx, m) {
      epochs.d.push([m.step, m.dLoss]);
      epochs.g.push([m.step, m.gLoss]);
      if ((ctx.epoch + 1) % every === 0) await draw(ctx);
    },
    onTrainEnd: (ctx) => draw(ctx),
  };
}
