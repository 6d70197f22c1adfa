import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { ModelEma, TrainerCallback, TrainerContext } from "@gan/trainer";
import { METRICS_FILE, lineChartSvg, readMetrics, svgToPng, writeFileAtomic } from "@gan/trainer/node";
import { type EvalResult, type EvaluateOptions, evaluateGenerator } from "./evaluate";

/** A `{"type": "eval"}` line of `metrics.jsonl`. */
export interface EvalRecord {
  type: "eval";
  /** Epoch just ended (0-based) and iterations completed. */
  epoch: number;
  step: number;
  /** Seconds of training since the run (or resume) started, evaluation time left out. */
  trainSeconds: number;
  n: number;
  fid: number;
  kid: number;
  purity: number;
  balance: number;
  shares: number[];
  /** The same scores of the EMA generator, when an EMA is kept. */
  ema?: Omit<EvalResult, "n" | "digits" | "seconds">;
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
 * (n samples against n held-out real digits), appends a `{"type": "eval", …}` line to the run's
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
      fid: round(raw.fid),
      kid: round(raw.kid, 6),
      purity: raw.purity,
      balance: round(raw.balance),
      shares: raw.shares.map((s) => round(s)),
      ...(averaged
        ? { ema: { fid: round(averaged.fid), kid: round(averaged.kid, 6), purity: averaged.purity, balance: round(averaged.balance), shares: averaged.shares.map((s) => round(s)) } }
        : {}),
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

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
