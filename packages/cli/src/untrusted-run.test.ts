import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./test-support";

// A run folder is untrusted input: a config.json edited to ask for a huge model must fail at once, naming the
// file and the field, before anything is allocated (issue 22: width 1000 reached 4 GB in `gan sample`).

let tmp: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-untrusted-run-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const MODEL = { model: "dcgan", zDim: 20, width: 8, channels: 1, seed: 0 };

/** A run folder with one checkpoint (placeholder weights: they must never be reached) and `extra` in config.json. */
async function runFolder(extra: unknown): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmp, "run-"));
  const checkpoint = path.join(dir, "checkpoints", "step-0000001");
  await fs.mkdir(checkpoint, { recursive: true });
  await fs.writeFile(path.join(checkpoint, "state.json"), "{}");
  await fs.writeFile(path.join(checkpoint, "generator.safetensors"), new Uint8Array(16));
  await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ trainer: { epochs: 1 }, extra }));
  return dir;
}

describe("gan sample on an untrusted run folder", () => {
  it.each([
    [{ width: 1000 }, "extra.model.width: expected an integer in [1, 256], got 1000"],
    [{ width: 100000 }, "extra.model.width: expected an integer in [1, 256], got 100000"],
    [{ zDim: 1e7 }, "extra.model.zDim: expected an integer in [1, 1024], got 10000000"],
    [{ channels: "3" }, 'extra.model.channels: expected one of 1, 3, got "3"'],
  ])("%j fails at once naming config.json and the field", async (change, message) => {
    const dir = await runFolder({ model: { ...MODEL, ...change } });
    const before = tf.memory().numBytes;
    const started = performance.now();
    const result = await run("sample", "--checkpoint", dir, "--out", path.join(dir, "grid.png"));
    expect(result.code).not.toBe(0);
    expect(result.err).toContain(`${path.join(dir, "config.json")}: ${message}`);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(tf.memory().numBytes - before).toBeLessThan(1 << 20);
  });

  it("garbage extra.training names its field too", async () => {
    const dir = await runFolder({ model: MODEL, training: { eval: { everyEpochs: 1, n: 1e12 } } });
    const result = await run("sample", "--checkpoint", dir, "--out", path.join(dir, "grid.png"));
    expect(result.code).not.toBe(0);
    expect(result.err).toContain("config.json: extra.training.eval.n: expected an integer in [2, 50000], got 1000000000000");
  });

  it("gan export-web refuses the same config.json", async () => {
    const dir = await runFolder({ model: { ...MODEL, width: 1000 } });
    const result = await run("export-web", "--run", dir, "--out", path.join(dir, "web"));
    expect(result.code).not.toBe(0);
    expect(result.err).toContain(`${path.join(dir, "config.json")}: extra.model.width: expected an integer in [1, 256], got 1000`);
  });
});
