import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resizeBicubicPil } from "./pil-resize";

// Produced by Pillow 9.4 itself (src/fixtures/make_pil_fixtures.py): the independent reference.
const fixtures = JSON.parse(readFileSync(new URL("./fixtures/pil-fixtures.json", import.meta.url), "utf8")) as {
  resize: { name: string; width: number; height: number; channels: number; outWidth: number; outHeight: number; input: string; output: string }[];
};

describe("resizeBicubicPil", () => {
  for (const c of fixtures.resize) {
    it(`matches Pillow's Image.BICUBIC exactly: ${c.name} ${c.width}×${c.height}×${c.channels} → ${c.outWidth}×${c.outHeight}`, () => {
      const input = Buffer.from(c.input, "base64");
      const expected = Buffer.from(c.output, "base64");
      const out = resizeBicubicPil(input, c.width, c.height, c.channels, c.outWidth, c.outHeight);
      expect(out.length).toBe(expected.length);
      expect(Buffer.from(out).equals(expected)).toBe(true);
    });
  }

  it("keeps a constant image constant and returns a copy at the same size", () => {
    const src = new Uint8Array(5 * 3).fill(77);
    expect([...resizeBicubicPil(src, 5, 3, 1, 11, 9)].every((v) => v === 77)).toBe(true);
    const same = resizeBicubicPil(src, 5, 3, 1, 5, 3);
    expect(same).not.toBe(src);
    expect([...same]).toEqual([...src]);
  });

  it("rejects a buffer of the wrong length", () => {
    expect(() => resizeBicubicPil(new Uint8Array(10), 4, 4, 1, 8, 8)).toThrow(/expected 16 bytes/);
  });
});
