import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { svgToPng } from "../node/png";
import { lineChartSvg, niceTicks } from "./line-chart";

describe("lineChartSvg", () => {
  it("has axes, ticks and a legend, and rasterises with sharp", async () => {
    const svg = lineChartSvg(
      [
        { label: "D loss", points: [[1, 1.4], [2, 1.1], [3, Number.NaN], [4, 0.9]], color: "#1f77b4" },
        { label: "G <loss>", points: [[1, 0.7], [4, 2.2]], color: "#ff7f0e", markers: true },
      ],
      { title: "Losses", xLabel: "step", yLabel: "loss", width: 400, height: 240 },
    );
    expect(svg).toContain(">D loss</text>");
    expect(svg).toContain(">G &lt;loss&gt;</text>");
    expect(svg).toContain(">step</text>");
    // The NaN splits the D line into two paths.
    expect(svg.match(/<path d="[^"]*" stroke="#1f77b4"/g)).toHaveLength(2);
    const meta = await sharp(await svgToPng(svg)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 400, 240]);
  });

  it("picks round ticks covering the range", () => {
    expect(niceTicks(0.13, 0.92, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 250, 5)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(0, 3, 6, 1)).toEqual([0, 1, 2, 3]);
  });
});
