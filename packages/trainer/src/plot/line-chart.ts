/** One line of a {@link lineChartSvg}. */
export interface ChartSeries {
  /** Legend label. */
  label: string;
  /** Points `[x, y]`, in x order; non-finite ones are left out (the line breaks there). */
  points: ReadonlyArray<readonly [number, number]>;
  /** CSS colour. */
  color: string;
  /** Stroke width in pixels (default 1.5). */
  width?: number;
  /** Opacity 0–1 (default 1). */
  opacity?: number;
  /** Draw a dot at each point (for sparse series such as epoch averages). */
  markers?: boolean;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixel size (default 720×400). */
  width?: number;
  height?: number;
  /** The x values are counts (steps): ticks fall on integers. */
  xInteger?: boolean;
}

const FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/**
 * A self-contained SVG line chart with axes, ticks, grid lines and a legend: small and readable, and
 * rasterised by sharp (librsvg) without a browser.
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 400;
  const margin = { left: 64, right: 16, top: options.title ? 36 : 16, bottom: 48 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const [x0, x1] = extent(finite.map((p) => p[0]), options.xInteger ? 1 : undefined);
  const [y0, y1] = extent(finite.map((p) => p[1]));
  const xTicks = niceTicks(x0, x1, 6, options.xInteger ? 1 : 0);
  const yTicks = niceTicks(y0, y1, 6);
  const xMin = Math.min(x0, xTicks[0]);
  const xMax = Math.max(x1, xTicks[xTicks.length - 1]);
  const yMin = Math.min(y0, yTicks[0]);
  const yMax = Math.max(y1, yTicks[yTicks.length - 1]);
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<g font-family="${FONT}" font-size="12" fill="#333">`);
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t, yTicks)}</text>`);
  }
  for (const t of xTicks) {
    const x = fmt(sx(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle">${tickLabel(t, xTicks)}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#666"/>`);
  if (options.title) {
    out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);
  }
  if (options.xLabel) {
    out.push(`<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  }
  if (options.yLabel) {
    const cy = margin.top + plotH / 2;
    out.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(options.yLabel)}</text>`);
  }
  out.push("</g>");

  out.push(`<g fill="none" stroke-linejoin="round" stroke-linecap="round">`);
  for (const s of series) {
    const opacity = s.opacity ?? 1;
    for (const run of finiteRuns(s.points)) {
      const d = run.map(([x, y], i) => `${i === 0 ? "M" : "L"}${fmt(sx(x))} ${fmt(sy(y))}`).join("");
      out.push(`<path d="${d}" stroke="${s.color}" stroke-width="${s.width ?? 1.5}" stroke-opacity="${opacity}"/>`);
    }
    if (s.markers) {
      for (const [x, y] of s.points) {
        if (Number.isFinite(x) && Number.isFinite(y)) {
          out.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="2.5" fill="${s.color}" fill-opacity="${opacity}"/>`);
        }
      }
    }
  }
  out.push("</g>");

  // Legend, top right inside the plot.
  const rowH = 18;
  const legendW = 18 + 8 + Math.max(...series.map((s) => s.label.length)) * 7 + 12;
  const lx = margin.left + plotW - legendW - 8;
  const ly = margin.top + 8;
  out.push(`<g font-family="${FONT}" font-size="12" fill="#333">`);
  out.push(`<rect x="${lx}" y="${ly}" width="${legendW}" height="${series.length * rowH + 8}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`);
  series.forEach((s, i) => {
    const y = ly + 4 + rowH * i + rowH / 2;
    out.push(
      `<line x1="${lx + 6}" x2="${lx + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="${Math.max(1.5, s.width ?? 1.5)}" stroke-opacity="${s.opacity ?? 1}"/>`,
    );
    if (s.markers) out.push(`<circle cx="${lx + 15}" cy="${y}" r="2.5" fill="${s.color}" fill-opacity="${s.opacity ?? 1}"/>`);
    out.push(`<text x="${lx + 30}" y="${y}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push("</g></svg>");
  return out.join("\n");
}

/** Min and max, widened to a non-empty interval (by `pad`, default 10 %) and [0, 1] when there is no data. */
function extent(values: number[], pad?: number): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = values.reduce((a, b) => Math.min(a, b));
  let hi = values.reduce((a, b) => Math.max(a, b));
  if (lo === hi) {
    pad ??= Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Round tick values (1, 2 or 5 × 10ᵏ apart, at least `minStep`) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number, minStep = 0): number[] {
  const raw = Math.max(minStep, (hi - lo) / Math.max(1, count));
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toFixed(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toFixed(12)));
  return ticks;
}

function tickLabel(t: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  if (Math.abs(t) >= 1e5) return t.toExponential(1);
  return t.toFixed(Math.min(decimals, 6));
}

function finiteRuns(points: ReadonlyArray<readonly [number, number]>): Array<Array<readonly [number, number]>> {
  const runs: Array<Array<readonly [number, number]>> = [[]];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) runs[runs.length - 1].push(p);
    else if (runs[runs.length - 1].length > 0) runs.push([]);
  }
  return runs.filter((r) => r.length > 0);
}

function fmt(v: number): string {
  return v.toFixed(1);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}
