import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GanTrainer } from "../gan-trainer";
import { FileCheckpointStore } from "../node/file-checkpoint-store";
import { ShufflingSource, TinyDiscriminator, TinyGenerator, simpleBce, tinyImages } from "../test-support";
import { InvalidFileError } from "../validation";
import { STATE_FILE } from "./checkpoint-store";
import { type TrainerCheckpointStateSchema, checkCheckpointState } from "./state-schema";
import type { TrainerCheckpointState } from "./training-state";

let tmp: string;
let images: tf.Tensor4D;
let valid: TrainerCheckpointState;
let checkpointDir: string;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-state-schema-"));
  images = tinyImages(8);
  await withTrainer(path.join(tmp, "run"), async (trainer) => {
    checkpointDir = await trainer.saveCheckpoint();
  });
  valid = JSON.parse(await fs.readFile(path.join(checkpointDir, STATE_FILE), "utf8"));
});
afterAll(async () => {
  images.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function withTrainer(runDir: string, use: (trainer: GanTrainer) => Promise<void>): Promise<void> {
  const g = new TinyGenerator({ seed: 1 });
  const d = new TinyDiscriminator({ seed: 2 });
  const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 1, seed: 7, store: new FileCheckpointStore(runDir) });
  try {
    await use(trainer);
  } finally {
    trainer.dispose();
    g.dispose();
    d.dispose();
  }
}

/** Writes `text` as the state.json of a copy of the valid checkpoint, resumes from it, and returns the error. */
async function resumeWith(text: string): Promise<Error> {
  const runDir = await fs.mkdtemp(path.join(tmp, "bad-"));
  const copy = path.join(runDir, "checkpoints", path.basename(checkpointDir));
  await fs.cp(checkpointDir, copy, { recursive: true });
  await fs.writeFile(path.join(copy, STATE_FILE), text);
  let error: unknown;
  await withTrainer(runDir, async (trainer) => {
    error = await trainer.resume().then(
      () => new Error("resumed"),
      (e) => e,
    );
  });
  return error as Error;
}

/** The valid state.json with `change` applied (run when the test runs, after `valid` is read). */
const mutate = (change: (state: Record<string, unknown>) => void) => () => {
  const state = JSON.parse(JSON.stringify(valid));
  change(state);
  return JSON.stringify(state);
};
const as = (text: string) => () => text;

describe("a checkpoint's state.json", () => {
  it("a valid one passes and resumes", async () => {
    expect(() => checkCheckpointState(valid, "x/state.json")).not.toThrow();
    await withTrainer(path.join(tmp, "run"), async (trainer) => {
      expect(await trainer.resume()).toBe(checkpointDir);
    });
  });

  it.each([
    ["not JSON", as("{ nope"), /state\.json: not valid JSON/],
    ["{}", as("{}"), /state\.json: format: missing/],
    ['{"format": "x"}', as('{"format": "x"}'), /state\.json: format: expected "gan-toolkit\/trainer-checkpoint".*got "x"/],
    ["null", as("null"), /state\.json: expected an object, got null/],
    ["no random", mutate((s) => delete s.random), /state\.json: random: missing/],
    ["a string seed", mutate((s) => ((s.random as { seed: unknown }).seed = "x")), /state\.json: random\.seed: expected an integer in \[0, \d+\], got "x"/],
    ["a negative step", mutate((s) => (s.step = -1)), /state\.json: step: expected an integer in \[0, \d+\], got -1/],
    ["a string epoch", mutate((s) => (s.epoch = "3")), /state\.json: epoch: expected an integer/],
    ["huge fixed noise", mutate((s) => ((s.options as { fixedNoiseSize: number }).fixedNoiseSize = 1e9)), /state\.json: options\.fixedNoiseSize: expected an integer in \[1, 4096\], got 1000000000/],
    ["callback files not a list", mutate((s) => (s.callbackFiles = { ema: "x" })), /state\.json: callbackFiles\.ema: expected Array, got "x"/],
  ])("%s: an error naming the checkpoint's state.json and the field, not a TypeError", async (_name, text, message) => {
    const error = await resumeWith(text());
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(path.join("checkpoints", path.basename(checkpointDir), STATE_FILE));
  });

  it("reads older checkpoints: no callbackFiles, no data, partial totals, NaN totals written as null", () => {
    const { callbackFiles, data, ...old } = valid;
    const state = checkCheckpointState({ ...old, epochTotals: { steps: 2, dLoss: null } }, "old/state.json");
    expect(state.epochTotals).toEqual({ steps: 2, dLoss: 0 });
  });

  it("errors are InvalidFileErrors with the file and path", () => {
    try {
      checkCheckpointState({ ...valid, batchInEpoch: 1.5 }, "c/state.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidFileError);
      expect(e).toMatchObject({ file: "c/state.json", path: "batchInEpoch" });
    }
  });

  it("the schema accepts every state the trainer writes (types in sync)", () => {
    const written = valid as TrainerCheckpointState;
    const accepted: v.InferInput<typeof TrainerCheckpointStateSchema> = written; // a compile-time check
    expect(checkCheckpointState(accepted, "s")).toMatchObject({ step: written.step });
  });
});
