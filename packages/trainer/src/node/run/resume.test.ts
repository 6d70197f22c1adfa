import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointing } from "../../callbacks/checkpointing";
import { MemoryCheckpointStore } from "../../checkpoint/memory-checkpoint-store";
import { CHECKPOINT_FILES } from "../../checkpoint/training-state";
import { UnusableCheckpointError } from "../../checkpoint/unusable-checkpoint";
import { GanTrainer } from "../../gan-trainer";
import { ShufflingSource, TinyDiscriminator, TinyGenerator, simpleBce, tinyImages } from "../../test-support";
import { type TrainOptions, train } from "./train";

let tmp: string;
let images: tf.Tensor4D;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-resume-"));
  images = tinyImages(12);
});
afterAll(async () => {
  images.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Tiny models and data (3 steps per epoch), no pictures: only what a resume needs. */
function setup(runDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  const generator = new TinyGenerator({ seed: 1 });
  const discriminator = new TinyDiscriminator({ seed: 2 });
  return { generator, discriminator, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 1, seed: 7, runDir, samples: false, attention: false, lossPlot: false, ...extra };
}

const readConfig = async (runDir: string) => JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));

describe("train({ resume: true })", () => {
  it("refuses a missing folder, an empty one, one with config.json but no checkpoint and one without config.json, naming the folder", async () => {
    const missing = path.join(tmp, "missing");
    await expect(train(setup(missing, { resume: true }))).rejects.toThrow(`train: resume: ${missing} does not exist; there is no run to resume`);
    const empty = path.join(tmp, "empty");
    await fs.mkdir(empty);
    await expect(train(setup(empty, { resume: true }))).rejects.toThrow(`${empty} holds no run (no config.json, no checkpoint); start it without resume`);
    const configOnly = path.join(tmp, "config-only");
    await fs.mkdir(configOnly);
    await fs.writeFile(path.join(configOnly, "config.json"), "{}");
    await expect(train(setup(configOnly, { resume: true }))).rejects.toThrow(`${configOnly} has config.json but no checkpoint in ${path.join(configOnly, "checkpoints")}`);
    const noConfig = path.join(tmp, "no-config");
    await train(setup(noConfig));
    await fs.rm(path.join(noConfig, "config.json"));
    await expect(train(setup(noConfig, { resume: true }))).rejects.toThrow(`${noConfig} has checkpoints but no config.json`);
    // Nothing was started in any of them.
    expect(await fs.readdir(empty)).toEqual([]);
    expect(await fs.readdir(configOnly)).toEqual(["config.json"]);
  });

  it("takes a new epoch count and learning rates as overrides, logged in config.json's history; other options must match the record", async () => {
    const runDir = path.join(tmp, "overrides");
    await train(setup(runDir));
    const before = await readConfig(runDir);
    expect(before.history).toBeUndefined();

    const result = await train(setup(runDir, { resume: true, epochs: 3, gLr: 5e-5 }));
    expect(result).toMatchObject({ status: "completed", step: 9, epochsCompleted: 3 });
    const after = await readConfig(runDir);
    expect(after.trainer).toEqual({ ...before.trainer, epochs: 3, gLr: 5e-5 });
    expect(after.createdAt).toBe(before.createdAt);
    expect(after.history).toEqual([{ time: expect.any(String), step: 3, checkpoint: "step-0000003", overrides: { epochs: { from: 1, to: 3 }, gLr: { from: 1e-4, to: 5e-5 } } }]);
    // The checkpoints written after the resume hold the new rate.
    const { metadata, tensors } = decodeSafetensors(await fs.readFile(path.join(runDir, "checkpoints", "step-0000009", CHECKPOINT_FILES.gOptimizer)));
    tf.dispose(Object.values(tensors));
    expect(metadata?.lr).toBe("0.00005");

    // The record now says 3 epochs and 5e-5: resuming with those is no override; one entry per resume.
    await train(setup(runDir, { resume: true, epochs: 3, gLr: 5e-5 }));
    expect((await readConfig(runDir)).history[1]).toMatchObject({ step: 9, checkpoint: "step-0000009", overrides: {} });

    await expect(train(setup(runDir, { resume: true, epochs: 3, gLr: 5e-5, seed: 8 }))).rejects.toThrow(/option 'seed' is 7 in the record, given 8.*only epochs, gLr, dLr may change/);
    await expect(train(setup(runDir, { resume: true, epochs: 3, gLr: 5e-5, data: new ShufflingSource(images, 6) }))).rejects.toThrow(/the data's batch size is 4 in the record, given 6/);
    expect((await readConfig(runDir)).history).toHaveLength(2);
  });

  it("a corrupt latest checkpoint (garbage state.json, truncated safetensors, a latest pointer to nothing) is named with the previous good one, which resumeFrom continues", async () => {
    const cases: Array<[string, (latest: string) => Promise<void>, RegExp, string, string]> = [
      ["state", (dir) => fs.writeFile(path.join(dir, "state.json"), "{ not json"), /state\.json: not valid JSON/, "step-0000009", "step-0000006"],
      [
        "truncated",
        async (dir) => {
          const file = path.join(dir, CHECKPOINT_FILES.discriminator);
          const bytes = await fs.readFile(file);
          await fs.writeFile(file, bytes.subarray(0, bytes.length >> 1));
        },
        /discriminator\.safetensors/,
        "step-0000009",
        "step-0000006",
      ],
      ["pointer", (dir) => fs.writeFile(path.join(path.dirname(dir), "latest"), "step-0000012\n"), /checkpoints\/latest names it but it is missing/, "step-0000012", "step-0000009"],
    ];
    for (const [name, corrupt, reason, bad, previous] of cases) {
      const runDir = path.join(tmp, `corrupt-${name}`);
      await train(setup(runDir, { epochs: 3 }));
      await corrupt(path.join(runDir, "checkpoints", "step-0000009"));
      const error = await train(setup(runDir, { resume: true, epochs: 4 })).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(UnusableCheckpointError);
      expect(error).toMatchObject({ checkpoint: bad, previous, location: path.join(runDir, "checkpoints", bad) });
      expect((error as Error).message).toMatch(reason);
      expect((error as Error).message).toContain(`the previous good checkpoint is ${previous}: resume from it explicitly`);
      expect((await readConfig(runDir)).history, name).toBeUndefined();

      const resumed = await train(setup(runDir, { resume: true, epochs: 4, resumeFrom: previous }));
      expect(resumed.resumedFrom).toBe(path.join(runDir, "checkpoints", previous));
      expect(resumed).toMatchObject({ status: "completed", step: 12 });
    }
    await expect(train(setup(path.join(tmp, "corrupt-state"), { resume: true, epochs: 4, resumeFrom: "step-0000001" }))).rejects.toThrow(
      /resumeFrom: no checkpoint step-0000001 in .* \(there are: step-0000006, step-0000009, step-0000012\)/,
    );
  });
});

describe("GanTrainer.resume with a new learning rate", () => {
  it("the restored Adam uses the trainer's rate, not the checkpoint's: half the rate, half the first step", async () => {
    const store = new MemoryCheckpointStore();
    const make = (gLr: number) =>
      new GanTrainer({ generator: new TinyGenerator({ seed: 1 }), discriminator: new TinyDiscriminator({ seed: 2 }), loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 1, seed: 7, gLr, store, callbacks: [checkpointing()] });
    const first = make(2e-4);
    await first.fit();
    first.dispose();

    const batch = tf.slice(images, [0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D;
    const firstStep = async (gLr: number) => {
      const trainer = make(gLr);
      await trainer.resume();
      expect(trainer.gOptimizer.getConfig().learningRate).toBe(gLr);
      const params = trainer.generator.parameters();
      const before = params.map((p) => p.dataSync().slice());
      await trainer.trainStep(batch);
      const delta = params.flatMap((p, i) => Array.from(p.dataSync(), (v, j) => v - before[i][j]));
      trainer.dispose();
      return delta;
    };
    const full = await firstStep(2e-4);
    const half = await firstStep(1e-4);
    batch.dispose();
    const norm = (v: number[]) => Math.hypot(...v);
    expect(norm(full)).toBeGreaterThan(0);
    expect(norm(half) / norm(full)).toBeCloseTo(0.5, 3);
  });
});
