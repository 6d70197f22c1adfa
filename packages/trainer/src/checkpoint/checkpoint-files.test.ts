import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainerCallback } from "../callback";
import { checkpointing } from "../callbacks/checkpointing";
import { arrayDataSource } from "../data-source";
import type { GanLoss } from "@gan/spec";
import { GanTrainer } from "../gan-trainer";
import { TinyDiscriminator, TinyGenerator, simpleBce, tinyImages } from "../test-support";
import { FileCheckpointStore, latestCheckpoint, listCheckpoints, readCheckpoint } from "../node/file-checkpoint-store";

let tmp: string;
let images: tf.Tensor4D;
beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-ckpt-files-"));
  images = tinyImages(8);
});
afterAll(async () => {
  images.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A trainer on 8 tiny images, batches of 4 (2 steps per epoch), with the given callbacks. */
function trainer(runDir: string, callbacks: TrainerCallback[], epochs = 2): { trainer: GanTrainer; dispose(): void } {
  const g = new TinyGenerator();
  const d = new TinyDiscriminator();
  const t = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data: arrayDataSource(images, { batchSize: 4 }), epochs, store: new FileCheckpointStore(runDir), callbacks });
  return {
    trainer: t,
    dispose() {
      t.dispose();
      g.dispose();
      d.dispose();
    },
  };
}

/** A callback that adds `note.txt` holding the step being saved. */
function stepNote(): TrainerCallback & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: "note",
    calls,
    state(ctx) {
      calls.push(ctx.step);
      return { "note.txt": new TextEncoder().encode(`step ${ctx.step}`) };
    },
  };
}

describe("TrainerCallback.state", () => {
  it("adds the callbacks' files to every checkpoint, from checkpointing() and from saveCheckpoint() alike", async () => {
    const runDir = path.join(tmp, "added");
    const note = stepNote();
    const async: TrainerCallback = { name: "async", state: async () => ({ "async.bin": Uint8Array.from([7]) }) };
    const t = trainer(runDir, [checkpointing({ everySteps: 1, keep: 10 }), note, async]);
    await t.trainer.fit();
    const all = await listCheckpoints(runDir);
    expect(all.map((p) => path.basename(p))).toEqual(["step-0000001", "step-0000002", "step-0000003", "step-0000004"]);
    for (const [i, dir] of all.entries()) {
      expect(await fs.readFile(path.join(dir, "note.txt"), "utf8")).toBe(`step ${i + 1}`);
      expect(Array.from(await fs.readFile(path.join(dir, "async.bin")))).toEqual([7]);
    }
    expect(note.calls).toEqual([1, 2, 3, 4]);
    // A save outside the callbacks asks them too.
    const extra = await t.trainer.saveCheckpoint({ store: new FileCheckpointStore(path.join(tmp, "manual")) });
    expect(await fs.readFile(path.join(extra, "note.txt"), "utf8")).toBe("step 4");
    // exportCheckpoint() carries them; a checkpoint read back holds them and resumes as before.
    expect(Object.keys((await t.trainer.exportCheckpoint()).files)).toContain("note.txt");
    expect(Object.keys((await readCheckpoint(extra)).files).sort()).toEqual([
      "async.bin",
      "discriminator.safetensors",
      "generator.safetensors",
      "note.txt",
      "optimizer-discriminator.safetensors",
      "optimizer-generator.safetensors",
    ]);
    t.dispose();
    const again = trainer(runDir, [], 3);
    expect(await again.trainer.resume()).toBe(all[all.length - 1]);
    expect(again.trainer.step).toBe(4);
    again.dispose();
  });

  it("a hook that fails aborts the save: no half checkpoint, latest still names the last complete one", async () => {
    const runDir = path.join(tmp, "failing");
    const failing: TrainerCallback = {
      name: "flaky",
      state(ctx) {
        if (ctx.step === 3) throw new Error("disk full");
        return { "flaky.bin": Uint8Array.from([ctx.step]) };
      },
    };
    const t = trainer(runDir, [checkpointing({ everySteps: 1 }), failing]);
    await expect(t.trainer.fit()).rejects.toThrow("disk full");
    const dir = path.join(runDir, "checkpoints");
    expect((await fs.readdir(dir)).sort()).toEqual(["latest", "step-0000001", "step-0000002"]);
    expect(path.basename((await latestCheckpoint(runDir))!)).toBe("step-0000002");
    expect(Array.from(await fs.readFile(path.join(dir, "step-0000002", "flaky.bin")))).toEqual([2]);
    t.dispose();
  });

  it("refuses file names that clash with the trainer's, another callback's or are not plain names, naming the callback", async () => {
    const cases: Array<[Record<string, Uint8Array>, RegExp]> = [
      [{ "generator.safetensors": new Uint8Array(1) }, /callback 'bad' adds 'generator.safetensors' to the checkpoint, but the trainer already writes it/],
      [{ "state.json": new Uint8Array(1) }, /callback 'bad': bad checkpoint file name 'state.json'/],
      [{ "note.txt": new Uint8Array(1) }, /callback 'bad' adds 'note.txt' to the checkpoint, but callback 'note' already writes it/],
      [{ "../escape.bin": new Uint8Array(1) }, /callback 'bad': bad checkpoint file name '..\/escape.bin'/],
      [{ ".hidden": new Uint8Array(1) }, /bad checkpoint file name '.hidden'/],
      [{ "text.txt": "words" as unknown as Uint8Array }, /callback 'bad' must give checkpoint file 'text.txt' as a Uint8Array/],
    ];
    for (const [i, [files, message]] of cases.entries()) {
      const runDir = path.join(tmp, `clash-${i}`);
      const t = trainer(runDir, [stepNote(), { name: "bad", state: () => files }], 1);
      await expect(t.trainer.saveCheckpoint()).rejects.toThrow(message);
      expect(await listCheckpoints(runDir)).toEqual([]);
      t.dispose();
    }
  });
});

describe("TrainerCallback.restore", () => {
  /** A callback that saves `<name>.bin` holding the step and records what `restore` is given. */
  const saver = (name: string) => {
    const given: Array<Record<string, number[]>> = [];
    const cb: TrainerCallback = {
      name,
      state: (ctx) => ({ [`${name}.bin`]: Uint8Array.from([ctx.step]) }),
      restore(files, ctx) {
        expect(ctx.resumed).toBe(true);
        given.push(Object.fromEntries(Object.entries(files).map(([f, b]) => [f, Array.from(b)])));
      },
    };
    return { cb, given };
  };

  it("hands each callback the files it saved, after the trainer's state is back; {} to one that saved none", async () => {
    const runDir = path.join(tmp, "restore");
    const a = saver("a");
    const b = saver("b");
    const t = trainer(runDir, [checkpointing(), a.cb, b.cb]);
    await t.trainer.fit();
    t.dispose();
    const state = (await readCheckpoint(path.join(runDir, "checkpoints", "step-0000004"))).state as { callbackFiles?: unknown };
    expect(state.callbackFiles).toEqual({ a: ["a.bin"], b: ["b.bin"] });

    const a2 = saver("a");
    const b2 = saver("b");
    const late = saver("late");
    let stepAtRestore = -1;
    const watcher: TrainerCallback = {
      name: "watcher",
      restore(_files, ctx) {
        stepAtRestore = ctx.step;
      },
    };
    const again = trainer(runDir, [a2.cb, b2.cb, watcher, { ...late.cb, state: undefined }], 3);
    await again.trainer.resume();
    expect(a2.given).toEqual([{ "a.bin": [4] }]);
    expect(b2.given).toEqual([{ "b.bin": [4] }]);
    expect(late.given).toEqual([{}]);
    expect(stepAtRestore).toBe(4);
    again.dispose();
  });

  it("gives a checkpoint written before callbacks had state/restore (no record) every file not the trainer's", async () => {
    const runDir = path.join(tmp, "restore-old");
    const t = trainer(runDir, [saver("a").cb, saver("b").cb], 1);
    const content = await t.trainer.exportCheckpoint();
    delete (content.state as { callbackFiles?: unknown }).callbackFiles;
    t.dispose();
    const store = new FileCheckpointStore(runDir);
    await store.write("step-0000000", content);
    const a = saver("a");
    const again = trainer(runDir, [a.cb], 1);
    await again.trainer.resume();
    expect(a.given).toEqual([{ "a.bin": [0], "b.bin": [0] }]);
    again.dispose();
  });
});

/** simpleBce with a state: the number of discriminator losses computed and the sum of their real logits' means. */
type Counts = { calls: number; sum: number };
function statefulLoss(): GanLoss & { getState(): Counts; setState(s: Counts): void } {
  let state: Counts = { calls: 0, sum: 0 };
  return {
    name: "counting",
    discriminatorLoss(real: tf.Tensor, fake: tf.Tensor) {
      state = { calls: state.calls + 1, sum: state.sum + tf.tidy(() => tf.mean(real).dataSync()[0]) };
      return simpleBce.discriminatorLoss(real, fake);
    },
    generatorLoss: (fake: tf.Tensor) => simpleBce.generatorLoss(fake),
    getState: () => ({ ...state }),
    setState(s: Counts) {
      state = { ...s };
    },
  };
}

describe("GanLoss.getState in checkpoints", () => {
  it("state.json keeps the loss's state and resume() gives it back; a stateless loss cannot take it", async () => {
    const runDir = path.join(tmp, "loss-state");
    const g = new TinyGenerator();
    const d = new TinyDiscriminator();
    const loss = statefulLoss();
    const data = arrayDataSource(images, { batchSize: 4 });
    const t = new GanTrainer({ generator: g, discriminator: d, loss, data, epochs: 2, store: new FileCheckpointStore(runDir), callbacks: [checkpointing({ everySteps: 1 })] });
    await t.fit();
    const latest = (await latestCheckpoint(runDir))!;
    const saved = (await readCheckpoint(latest)).state as { loss?: Counts };
    expect(saved.loss).toEqual(loss.getState());
    expect(saved.loss?.calls).toBe(4);
    t.dispose();

    const fresh = statefulLoss();
    const again = new GanTrainer({ generator: g, discriminator: d, loss: fresh, data, epochs: 3, store: new FileCheckpointStore(runDir) });
    await again.resume();
    expect(fresh.getState()).toEqual(saved.loss);
    again.dispose();

    const stateless = new GanTrainer({ generator: g, discriminator: d, loss: simpleBce, data, epochs: 3, store: new FileCheckpointStore(runDir) });
    await expect(stateless.resume()).rejects.toThrow(/the checkpoint holds a state of its loss but the loss '.*' has no setState\(\)/);
    stateless.dispose();
    g.dispose();
    d.dispose();
  });
});
