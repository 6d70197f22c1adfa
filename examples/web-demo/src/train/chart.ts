/** The loss chart of the Train page: per-step D and G losses with their running means, on a canvas. */

/** Running means over the last `window` values (fewer at the start). */
export function runningMean(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** The range a chart of `series` shows: their finite minimum and maximum, widened when flat. */
export function valueRange(series: ReadonlyArray<readonly number[]>): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of series)
    for (const v of s)
      if (Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
  if (min > max) return [0, 1];
  if (max - min < 1e-6) return [min - 0.5, max + 0.5];
  return [min, max];
}

const COLOURS = { d: "#1f6feb", g: "#f08c00" };

/** Draws the D and G losses of steps `steps` into `canvas`: thin per step, thick as running means over 20 steps. */
export function drawLosses(canvas: HTMLCanvasElement, steps: readonly number[], d: readonly number[], g: readonly number[]): void {
  const ctx = canvas.getContext("2d")!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const left = 40;
  const bottom = height - 18;
  const top = 8;
  const right = width - 8;
  const [lo, hi] = valueRange([d, g]);
  const first = steps[0] ?? 0;
  const last = Math.max(steps[steps.length - 1] ?? 1, first + 1);
  const x = (s: number) => left + ((s - first) / (last - first)) * (right - left);
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  ctx.strokeStyle = "#bbb";
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillStyle = "#555";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(hi.toFixed(2), 2, top + 10);
  ctx.fillText(lo.toFixed(2), 2, bottom);
  ctx.fillText(`step ${first}`, left, height - 4);
  const lastLabel = `step ${steps[steps.length - 1] ?? 0}`;
  ctx.fillText(lastLabel, right - ctx.measureText(lastLabel).width, height - 4);
  const line = (values: readonly number[], colour: string, lineWidth: number, alpha: number) => {
    ctx.strokeStyle = colour;
    ctx.globalAlpha = alpha;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    let moved = false;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) continue;
      if (moved) ctx.lineTo(x(steps[i]), y(values[i]));
      else ctx.moveTo(x(steps[i]), y(values[i]));
      moved = true;
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  };
  line(d, COLOURS.d, 1, 0.35);
  line(g, COLOURS.g, 1, 0.35);
  line(runningMean(d, 20), COLOURS.d, 2, 1);
  line(runningMean(g, 20), COLOURS.g, 2, 1);
}
