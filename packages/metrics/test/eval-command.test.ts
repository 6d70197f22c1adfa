import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { decodeImage } from "@gan/data/node";
import { encodeSafetensors } from "@gan/layers";
import type { GanGenerator } from "@gan/spec";
import { imagesToRgb } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EvalCommandResult, evalCommand, REJECTED_GRID_COLUMNS } from "../src/eval-command";
import { defaultClassifier, sampleGenerator } from "../src/evaluate";
import { referenceImages } from "../src/reference";
import { argmax, isPure } from "../src/scores";
import { fakeGenerator, rampImages } from "./fake-generator";

const N = 40;
let tmp: string;
let checkpoint: string;
/** Real held-out digits the classifier calls 7 or 8 with p > 0.9. */
let pure: tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-metrics-eval-"));
  // A checkpoint folder: evalCommand only needs generator.safetensors there (the fake generators ignore it).
  checkpoint = path.join(tmp, "run", "checkpoints", "step-00000001");
  await fs.mkdir(checkpoint, { recursive: true });
  const w = tf.zeros([1]);
  await fs.writeFile(path.join(checkpoint, "generator.safetensors"), encodeSafetensors({ w }));
  w.dispose();
  const real = await referenceImages({ n: 24, skipPerDigit: 400 });
  const { probs } = await (await defaultClassifier()).analyze(real);
  const keep = Array.from({ length: probs.n }, (_, i) => i).filter((i) => isPure(argmax(probs, i), [7, 8]));
  pure = tf.gather(real, keep);
  real.dispose();
});
afterAll(async () => {
  pure?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/**
 * A fake generator: for `z[0] > 0` a real digit the classifier accepts, chosen by `z[1]`, otherwise a blurry ramp
 * the classifier rejects (`"real"`: always a digit, `"ramps"`: always a ramp). Deterministic in `z`, so a seed gives the same samples.
 */
function mixed(kind: "mixed" | "real" | "ramps" = "mixed"): GanGenerator {
  return fakeGenerator((z) => {
    const b = z.shape[0];
    const zs = z.dataSync();
    const real = Array.from({ length: b }, (_, i) => kind === "real" || (kind === "mixed" && zs[i * 4] > 0));
    const pick = Array.from({ length: b }, (_, i) => Math.floor(Math.abs(zs[i * 4 + 1]) * 997) % pure.shape[0]);
    const mask = tf.tensor(real.map(Number), [b, 1, 1, 1]);
    return tf.add(tf.mul(mask, tf.gather(pure, pick)), tf.mul(tf.sub(1, mask), rampImages(z))) as tf.Tensor4D;
  });
}

function quiet(): { log(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l) };
}

/** The scores of a result, without the time taken and the `rejected` extras. */
function scores(r: EvalCommandResult) {
  const { seconds: _s, rejected: _r, ...rest } = r;
  return rest;
}

describe("evalCommand --rejected", () => {
  it("draws the rejected samples in sample order and breaks them down, with the same scores as without", async () => {
    const generator = mixed();
    const io = quiet();
    const plain = await evalCommand({ run: checkpoint, n: N, seed: 3 }, () => generator, io);
    expect(plain.rejected).toBeUndefined();
    expect(io.lines).toHaveLength(1);

    const before = tf.memory().numTensors;
    const file = path.join(tmp, "out", "nested", "rejected.png");
    const r = await evalCommand({ run: checkpoint, n: N, seed: 3, rejected: file }, () => generator, io);
    expect(tf.memory().numTensors).toBe(before);
    expect(scores(r)).toEqual(scores(plain));

    const rejected = r.rejected;
    if (!rejected) throw new Error("no breakdown");
    const count = rejected.indices.length;
    expect(count).toBe(Math.round((1 - r.purity) * N));
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(N);
    expect(rejected.samples.map((s) => s.index)).toEqual(rejected.indices);
    expect(rejected.image).toBe(file);
    expect(io.lines).toHaveLength(3);
    const untimed = (line: string) => line.replace(/ \[[\d.]+ s\]$/, "");
    expect(untimed(io.lines[1])).toBe(untimed(io.lines[0]));
    expect(io.lines[2]).toMatch(new RegExp(`^rejected ${count} of ${N}: .* → ${file.replace(/[.\\]/g, "\\$&")}$`));

    // The grid: `count` tiles of 64 px, 8 to a row, 2 px apart; tile k is rejected sample k.
    const columns = Math.min(REJECTED_GRID_COLUMNS, count);
    const rows = Math.ceil(count / REJECTED_GRID_COLUMNS);
    const png = await decodeImage(file, { channels: 3 });
    expect([png.width, png.height]).toEqual([columns * 66 + 2, rows * 66 + 2]);
    const samples = sampleGenerator(generator, N, 3);
    const tiles = imagesToRgb(samples);
    samples.dispose();
    rejected.indices.forEach((index, k) => {
      const x0 = 2 + (k % columns) * 66;
      const y0 = 2 + Math.floor(k / columns) * 66;
      for (const [x, y] of [
        [0, 0],
        [31, 17],
        [63, 63],
        [20, 40],
      ]) {
        const d = ((y0 + y) * png.width + x0 + x) * 3;
        expect(png.data[d]).toBe(tiles[index].data[(y * 64 + x) * 3]);
      }
    });
    expect(await fs.readdir(path.dirname(file))).toEqual(["rejected.png"]); // no temporary file left
  });

  it("writes no image when every sample passes, and says so", async () => {
    const io = quiet();
    const file = path.join(tmp, "none", "rejected.png");
    const before = tf.memory().numTensors;
    const r = await evalCommand({ run: checkpoint, n: N, rejected: file }, () => mixed("real"), io);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.purity).toBe(1);
    expect(r.rejected).toMatchObject({ indices: [], otherDigit: {}, belowThreshold: {} });
    expect(r.rejected?.image).toBeUndefined();
    expect(io.lines[1]).toBe(`rejected 0 of ${N}: every sample passes the purity test, ${file} not written`);
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
  });

  it("draws only the first 64 when more are rejected", async () => {
    const io = quiet();
    const file = path.join(tmp, "many.png");
    const r = await evalCommand({ run: checkpoint, n: 80, rejected: file }, () => mixed("ramps"), io);
    expect(r.rejected?.indices).toEqual(Array.from({ length: 80 }, (_, i) => i));
    const png = await decodeImage(file, { channels: 3 });
    expect([png.width, png.height]).toEqual([8 * 66 + 2, 8 * 66 + 2]);
    expect(io.lines[1]).toMatch(/^rejected 80 of 80: .* → .*many\.png \(the first 64\)$/);
  });

  it("refuses a path that is not a .png file before evaluating", async () => {
    let built = 0;
    const build = () => {
      built++;
      return mixed();
    };
    await expect(evalCommand({ run: checkpoint, n: N, rejected: path.join(tmp, "r.jpg") }, build, quiet())).rejects.toThrow(
      /gan eval: --rejected: expected a \.png file, got '.*r\.jpg'/,
    );
    const folder = path.join(tmp, "folder.png");
    await fs.mkdir(folder);
    await expect(evalCommand({ run: checkpoint, n: N, rejected: folder }, build, quiet())).rejects.toThrow(
      /gan eval: --rejected: .*folder\.png is a folder, expected a \.png file/,
    );
    expect(built).toBe(0);
  });
});
