import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { IDBFactory } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainerCallback } from "../callback";
import { checkpointing } from "../callbacks/checkpointing";
import { generatorEma } from "../callbacks/ema";
import { GanTrainer } from "../gan-trainer";
import { FileCheckpointStore } from "../node/file-checkpoint-store";
import { ShufflingSource, TinyDiscriminator, TinyGenerator, simpleBce, snapshotState, tinyImages } from "../test-support";
import type { CheckpointStore } from "./checkpoint-store";
import { IndexedDbCheckpointStore } from "./indexeddb-checkpoint-store";
import { MemoryCheckpointStore } from "./memory-checkpoint-store";

let tmp: string;
let images: tf.Tensor4D;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-store-resume-"));
  images = tinyImages(12);
});
afterAll(async () => {
  images.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A callback with state of its own: the sum of every step's D loss, saved and restored as JSON. */
function lossTally(): TrainerCallback & { readonly sum: number; restored: string[] } {
  let sum = 0;
  const restored: string[] = [];
  return {
    name: "tally",
    restored,
    get sum() {
      return sum;
    },
    onBatchEnd: (_ctx, m) => {
      sum += m.dLoss;
    },
    state: () => ({ "tally.json": new TextEncoder().encode(JSON.stringify({ sum })) }),
    restore(files) {
      restored.push(...Object.keys(files));
      sum = JSON.parse(new TextDecoder().decode(files["tally.json"])).sum;
    },
  };
}

/**
 * Trains 3 epochs of 3 steps with an EMA and the tally, checkpointing into `store`; stops after `stopAt` steps
 * (a checkpoint is then saved) or resumes from the store's latest checkpoint first.
 */
async function run(store: CheckpointStore, options: { stopAt?: number; resume?: boolean } = {}) {
  const g = new TinyGenerator({ seed: 1 });
  const d = new TinyDiscriminator({ seed: 2 });
  const ema = generatorEma({ decay: 0.8, standingStatistics: false });
  const tally = lossTally();
  const stopper: TrainerCallback = { onBatchEnd: (ctx) => void (ctx.step === options.stopAt && ctx.stop()) };
  const callbacks = [stopper, ema, tally, checkpointing()];
  const trainer = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: new ShufflingSource(images, 4), epochs: 3, seed: 7, store, callbacks });
  try {
    if (options.resume) expect(await trainer.resume()).toBeDefined();
    const result = await trainer.fit();
    return { status: result.status, step: result.step, g: snapshotState(g), d: snapshotState(d), ema: snapshotState(ema.ema!), tally: tally.sum, restored: tally.restored };
  } finally {
    trainer.dispose();
    ema.ema?.dispose();
    g.dispose();
    d.dispose();
  }
}

const stores: Array<[string, () => () => CheckpointStore]> = [
  ["MemoryCheckpointStore", () => {
    const store = new MemoryCheckpointStore();
    return () => store;
  }],
  // A new store object (and connection) for each run, as after a page reload.
  ["IndexedDbCheckpointStore", () => {
    const factory = new IDBFactory();
    return () => new IndexedDbCheckpointStore({ database: "resume", indexedDB: factory });
  }],
  ["FileCheckpointStore", () => {
    const dir = path.join(tmp, `run-${Math.random().toString(36).slice(2)}`);
    return () => new FileCheckpointStore(dir);
  }],
];

describe.each(stores)("resume through %s", (_name, makeStore) => {
  it("a run stopped mid-epoch and resumed ends bit-identical to an unbroken run, callback state included", async () => {
    const unbroken = await run(new MemoryCheckpointStore());
    expect(unbroken).toMatchObject({ status: "completed", step: 9 });

    const store = makeStore();
    const first = await run(store(), { stopAt: 4 });
    expect(first).toMatchObject({ status: "aborted", step: 4 });
    expect(await store().latest()).toBe("step-0000004");
    const before = tf.memory().numTensors;
    const resumed = await run(store(), { resume: true });
    expect(tf.memory().numTensors).toBe(before);

    expect(resumed.restored).toEqual(["tally.json"]);
    expect(resumed.g).toEqual(unbroken.g);
    expect(resumed.d).toEqual(unbroken.d);
    expect(resumed.ema).toEqual(unbroken.ema);
    expect(resumed.tally).toBe(unbroken.tally);
    expect(resumed.status).toBe("completed");
  });
});
