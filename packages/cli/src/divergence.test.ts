import "@tensorflow/tfjs-backend-cpu";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSafetensors } from "@gan/layers";
import { ExplodingLossError, NonFiniteCheckpointError, NonFiniteLossError } from "@gan/trainer";
import { latestCheckpoint, readMetrics } from "@gan/trainer/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIVERGED_EXIT_CODE, divergenceMessage } from "./divergence";
import { run } from "./test-support";

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-divergence-"));
  data = join(tmp, "img_78");
  expect((await run("prepare", "mnist78", "--out", data, "--per-digit", "4")).code).toBe(0);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("gan train: divergence", () => {
  it("--g-lr 1e6 --d-lr 1e6 (DCGAN) stops with exit 3 before the loss reaches 1e37, naming a finite checkpoint and the command to resume it", async () => {
    const out = join(tmp, "diverged");
    // One batch of 8 per epoch and a checkpoint every epoch: a checkpoint after every step.
    const result = await run(
      ...["train", "--model", "dcgan", "--width", "4", "--batch-size", "8", "--epochs", "20", "--data", data, "--out", out, "--backend", "wasm", "--threads", "1", "--quiet"],
      ...["--g-lr", "1e6", "--d-lr", "1e6", "--checkpoint-every", "1"],
    );
    expect(result.code).toBe(DIVERGED_EXIT_CODE);
    const latest = await latestCheckpoint(out);
    expect(latest).toBeDefined();
    expect(result.err).toMatch(/^gan: error: (D loss \S+|G loss \S+|D loss \S+ and G loss \S+) at step \d+ \(epoch \d+\) exceeds? 1e4: training diverged\. /);
    expect(result.err).toContain(`. The last good checkpoint is ${latest}; resume from it with lower learning rates: gan train --resume --out ${out} --data ${data} --g-lr 5e5 --d-lr 5e5\n`);
    expect(result.out).not.toMatch(/completed/);

    const steps = (await readMetrics(join(out, "metrics.jsonl"))).filter((r) => r.type === "step") as Array<{ dLoss: number; gLoss: number }>;
    expect(steps.length).toBeLessThan(20);
    for (const s of steps) expect(Math.max(Math.abs(s.dLoss), Math.abs(s.gLoss))).toBeLessThan(1e37);
    for (const file of (await readdir(latest!)).filter((f) => f.endsWith(".safetensors"))) {
      const { tensors } = decodeSafetensors(await readFile(join(latest!, file)), file);
      for (const [name, t] of Object.entries(tensors)) {
        expect([...t.dataSync()].every(Number.isFinite), `${file}: ${name}`).toBe(true);
        t.dispose();
      }
    }
  });
});

describe("divergenceMessage", () => {
  const where = { step: 123, epoch: 4, batch: 3, batchesPerEpoch: 7, gLr: 1e-4, dLr: 4e-4 };

  it("names the loss, the last good checkpoint and the resume command with half the learning rates", () => {
    const error = new ExplodingLossError({ ...where, dLoss: 1.5e37, gLoss: 2, maxLoss: 1e4, lastCheckpoint: "runs/x/checkpoints/step-0000120" });
    expect(divergenceMessage(error, { out: "runs/x", data: "data/img_78" })).toBe(
      "D loss 1.5e37 at step 123 (epoch 4) exceeds 1e4: training diverged. The last good checkpoint is runs/x/checkpoints/step-0000120; " +
        "resume from it with lower learning rates: gan train --resume --out runs/x --data data/img_78 --g-lr 5e-5 --d-lr 2e-4",
    );
  });

  it("says so when no checkpoint was written, and quotes a folder with spaces", () => {
    const nan = new NonFiniteLossError({ ...where, dLoss: 1, gLoss: Number.NaN });
    expect(divergenceMessage(nan, { out: "runs/x", data: "data/img_78" })).toBe("G loss NaN at step 123 (epoch 4): training diverged. No checkpoint was written before it; start again with lower learning rates (--g-lr 5e-5 --d-lr 2e-4)");
    const state = new NonFiniteCheckpointError({ ...where, tensors: [{ file: "optimizer-discriminator.safetensors", tensor: "net.0.weight/v", count: 2 }], lastCheckpoint: "my runs/x/checkpoints/step-0000120" });
    expect(divergenceMessage(state, { out: "my runs/x", data: "data/img_78" })).toBe(
      "The training state at step 123 (epoch 4) holds 2 non-finite values in 1 tensors (optimizer-discriminator.safetensors: net.0.weight/v), so it was not saved: training diverged. " +
        "The last good checkpoint is my runs/x/checkpoints/step-0000120; resume from it with lower learning rates: gan train --resume --out 'my runs/x' --data data/img_78 --g-lr 5e-5 --d-lr 2e-4",
    );
  });
});
