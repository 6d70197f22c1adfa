import type { TrainerCallback } from "../callback";

/** Options of {@link progressLog}. */
export interface ProgressLogOptions {
  /** Seconds between lines (default 10); the first step and the end always print. */
  everySeconds?: number;
  /** Where lines go (default `console.log`). */
  log?: (line: string) => void;
  /**
   * The run stops after this many seconds (a time limit such as `trainRecipe`'s `maxMinutes`): the ETA is the
   * sooner of the last epoch's end and the time limit (marked `(time limit)`), the first line names it, and a run
   * stopped at the limit ends with `stopped at the time limit:` instead of `aborted:`.
   */
  timeLimitSeconds?: number;
}

/** `95 s` → `1m35s`; `5000 s` → `1h23m`. */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Prints training progress as plain lines — step and epoch, steps per second, the time left and the last step's
 * losses — every `everySeconds` seconds, and a last line at the end:
 * `step 120/2000 · epoch 3/50 · 2.4 steps/s · ETA 13m03s · D 1.284 G 0.612`. Runs anywhere (a browser console,
 * a Web Worker, Node). `train()` of `@gan/trainer/node` (so `trainRecipe`) adds it by default (its `progress`
 * option); the CLI draws a progress bar instead.
 */
export function progressLog(options: ProgressLogOptions = {}): TrainerCallback {
  const every = (options.everySeconds ?? 10) * 1000;
  if (!(every >= 0)) throw new Error(`progressLog: everySeconds must be a number >= 0, got ${options.everySeconds}`);
  const log = options.log ?? ((line: string) => console.log(line));
  const limit = options.timeLimitSeconds;
  if (limit !== undefined && !(limit >= 0)) throw new Error(`progressLog: timeLimitSeconds must be a number >= 0, got ${limit}`);
  let started = 0;
  let startStep = 0;
  let last = 0;
  /** A progress line; `losses` empty for the last one, which has no ETA. */
  const line = (ctx: Parameters<NonNullable<TrainerCallback["onTrainStart"]>>[0], losses: string) => {
    const seconds = (performance.now() - started) / 1000;
    const done = ctx.step - startStep;
    const rate = seconds > 0 ? done / seconds : 0;
    const total = ctx.totalSteps;
    const parts = [total === undefined ? `step ${ctx.step}` : `step ${ctx.step}/${total}`, `epoch ${Math.min(ctx.epoch + 1, ctx.epochs)}/${ctx.epochs}`];
    if (done > 0) parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)} steps/s`);
    if (!losses) return parts.join(" · ");
    const byEpochs = total !== undefined && rate > 0 && ctx.step < total ? (total - ctx.step) / rate : undefined;
    const byLimit = limit !== undefined && done > 0 ? Math.max(0, limit - seconds) : undefined;
    if (byLimit !== undefined && (byEpochs === undefined || byLimit < byEpochs)) parts.push(`ETA ${duration(byLimit)} (time limit)`);
    else if (byEpochs !== undefined) parts.push(`ETA ${duration(byEpochs)}`);
    parts.push(losses);
    return parts.join(" · ");
  };
  return {
    name: "progress",
    onTrainStart(ctx) {
      started = performance.now();
      startStep = ctx.step;
      last = 0;
      const until = limit === undefined ? "" : `, at most ${duration(limit)}`;
      log(`training from step ${ctx.step}${ctx.totalSteps === undefined ? "" : ` of ${ctx.totalSteps}`} (${ctx.epochs} epochs${until})`);
    },
    onBatchEnd(ctx, metrics) {
      const now = performance.now();
      if (ctx.step - startStep !== 1 && now - last < every) return;
      last = now;
      log(line(ctx, `D ${metrics.dLoss.toFixed(3)} G ${metrics.gLoss.toFixed(3)}`));
    },
    onTrainEnd(ctx, end) {
      const seconds = (performance.now() - started) / 1000;
      // A stop at (about: the timer may start a moment before the training) the time limit is the planned end.
      const status = end.status === "aborted" && limit !== undefined && seconds >= limit - 1 ? "stopped at the time limit" : end.status;
      log(`${status}: ${line(ctx, "")}, ${duration(seconds)} in all`);
    },
  };
}
