import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { ModelEma, TrainerCallback, TrainerContext } from "@gan/trainer";
import { METRICS_FILE, lineChartSvg, readMetrics, svgToPng, writeFileAtomic } from "@gan/trainer/node";
import type { MetricDatasetName } from "./datasets";
import { type EvalResult, type EvaluateOptions, evaluateGenerator } from "./evaluate";

/**
 * The scores of one generator in an eval line of `metrics.jsonl` (the EMA generator's are nested under `ema`).
 * Fields added after the first release are optional, so lines of older runs still read as this type.
 */
export interface EvalScores {
  fid: number;
  kid: number;
  purity: number;
  balance: number;
  shares: number[];
  /** How many of the classes hold at least 2% of the confident samples (absent in older runs). */
  coverage?: number;
  /** Those classes (absent in older runs). */
  covered?: number[];
  /** Conditional generators only: the share of samples the classifier calls the class asked for. */
  conditionalAccuracy?: number;
  /** Conditional generators only: that share per class asked for. */
  perClassAccuracy?: Record<number, number>;
}

/** A `{"type": "eval"}` line of `metrics.jsonl`. */
export interface EvalRecord extends EvalScores {
  type: "eval";
  /** Epoch just ended (0-based) and iterations completed. */
  epoch: number;
  step: number;
  /** Seconds of training since the run (or resume) started, evaluation time left out. */
  trainSeconds: number;
  n: number;
  /** The data set whose classifier and real images scored the samples (absent in older runs: MNIST). */
  dataset?: MetricDatasetName;
  /** The classes scored (absent in older runs: 7 and 8). */
  classes?: number[];
  /** The same scores of the EMA generator, when an EMA is kept. */
  ema?: EvalScores;
  /** Seconds the evaluation took. */
  seconds: number;
}

/** Options of {@link evalCallback}. */
export interface EvalCallbackOptions extends EvaluateOptions {
  /** Evaluate after every this many epochs (default 1) and after the last one. */
  everyEpochs?: number;
  /** Plot inside the run folder (default `fid.png`). */
  file?: string;
  /** Also evaluate the averaged generator: `generatorEma()`'s callback (or anything with an `ema`). */
  ema?: { readonly ema: ModelEma | undefined };
}

/**
 * Evaluates the generator (and its EMA, if given) every `everyEpochs` epochs with {@link evaluateGenerator}
 * (n samples against n held-out real images of `dataset`, default MNIST 7s and 8s; a conditional generator
 * with labels balanced over the classes), appends a `{"type": "eval", …}` line to the run's
 * `metrics.jsonl`, and draws `fid.png` (FID against the step). Put it after `metricsLog()` (as `train()`'s extra
 * callbacks are). A resumed run redraws the earlier points from `metrics.jsonl`.
 */
export function evalCallback(options: EvalCallbackOptions = {}): TrainerCallback {
  const every = options.everyEpochs ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`evalCallback: everyEpochs must be a positive integer, got ${every}`);
  let points: EvalRecord[] = [];
  let started = 0;
  let evalSeconds = 0;
  let lastStep = -1;

  const draw = async (runDir: string) => {
    if (points.length === 0) return;
    const series = [{ label: `FID (n=${points[0].n})`, points: points.map((p) => [p.step, p.fid] as [number, number]), color: "#d62728", width: 2.5, markers: true }];
    if (points.some((p) => p.ema)) {
      series.push({ label: "FID, EMA generator", points: points.filter((p) => p.ema).map((p) => [p.step, p.ema!.fid] as [number, number]), color: "#2ca02c", width: 2.5, markers: true });
    }
    const svg = lineChartSvg(series, { title: "FID of the classifier's features (lower is better)", xLabel: "step", yLabel: "FID", xInteger: true });
    await writeFileAtomic(path.join(runDir, options.file ?? "fid.png"), await svgToPng(svg));
  };

  const evaluate = async (ctx: TrainerContext) => {
    if (!ctx.runDir) throw new Error("evalCallback: the trainer has no runDir; set the runDir option to write files");
    if (lastStep === ctx.step) return;
    lastStep = ctx.step;
    const t0 = performance.now();
    const trainSeconds = (t0 - started) / 1000 - evalSeconds;
    const raw = await evaluateGenerator(ctx.generator, options);
    const ema = options.ema?.ema;
    const averaged = ema ? await ema.apply(() => evaluateGenerator(ctx.generator, options)) : undefined;
    const record: EvalRecord = {
      type: "eval",
      epoch: ctx.epoch,
      step: ctx.step,
      trainSeconds: round(trainSeconds),
      n: raw.n,
      dataset: raw.dataset,
      classes: raw.classes,
      ...scoresOf(raw),
      ...(averaged ? { ema: scoresOf(averaged) } : {}),
      seconds: 0,
    };
    evalSeconds += (performance.now() - t0) / 1000;
    record.seconds = round((performance.now() - t0) / 1000);
    points.push(record);
    await fs.appendFile(path.join(ctx.runDir, METRICS_FILE), `${JSON.stringify(record)}\n`);
    await draw(ctx.runDir);
  };

  return {
    name: "eval",
    async onTrainStart(ctx) {
      started = performance.now();
      evalSeconds = 0;
      lastStep = -1;
      points = [];
      if (ctx.resumed && ctx.runDir) {
        const records = (await readMetrics(path.join(ctx.runDir, METRICS_FILE))) as unknown as Array<{ type: string; step: number }>;
        points = records.filter((r): r is EvalRecord => r.type === "eval" && r.step <= ctx.startStep);
      }
    },
    async onEpochEnd(ctx) {
      if ((ctx.epoch + 1) % every === 0 || ctx.epoch + 1 === ctx.epochs) await evaluate(ctx);
    },
    async onTrainEnd(ctx, end) {
      if (end.status === "aborted" && ctx.step > 0) await evaluate(ctx);
    },
  };
}

/** The scores of a result as written to `metrics.jsonl` (rounded; the conditional ones only when measured). */
function scoresOf(r: EvalResult): EvalScores {
  return {
    fid: round(r.fid),
    kid: round(r.kid, 6),
    purity: r.purity,
    balance: round(r.balance),
    shares: r.shares.map((s) => round(s)),
    coverage: r.coverage,
    covered: r.covered,
    ...(r.conditionalAccuracy !== undefined ? { conditionalAccuracy: r.conditionalAccuracy } : {}),
    ...(r.perClassAccuracy !== undefined
      ? { perClassAccuracy: Object.fromEntries(Object.entries(r.perClassAccuracy).map(([c, a]) => [c, round(a)])) }
      : {}),
  };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
