import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { IDBFactory } from "fake-indexeddb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileCheckpointStore } from "../node/file-checkpoint-store";
import { type CheckpointFiles, type CheckpointStore, checkpointName } from "./checkpoint-store";
import { IndexedDbCheckpointStore } from "./indexeddb-checkpoint-store";
import { MemoryCheckpointStore } from "./memory-checkpoint-store";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-stores-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const content = (step: number): CheckpointFiles => ({
  state: { step, nested: { values: [step, step + 0.5] } },
  files: { "weights.safetensors": Uint8Array.from([step, 1, 2, 3]), "notes.json": new TextEncoder().encode(`{"step":${step}}`) },
});

let databases = 0;
const stores: Array<[string, () => CheckpointStore]> = [
  ["MemoryCheckpointStore", () => new MemoryCheckpointStore()],
  ["IndexedDbCheckpointStore", () => new IndexedDbCheckpointStore({ database: `run-${databases++}`, indexedDB: new IDBFactory() })],
  ["FileCheckpointStore", () => new FileCheckpointStore(path.join(tmp, `run-${databases++}`))],
];

describe.each(stores)("%s", (_name, make) => {
  it("is empty at first", async () => {
    const store = make();
    expect(await store.latest()).toBeUndefined();
    expect(await store.list()).toEqual([]);
    await expect(store.read(checkpointName(1))).rejects.toThrow(/not a checkpoint/);
  });

  it("writes and reads back a checkpoint byte for byte; the newest write is the latest", async () => {
    const store = make();
    for (const step of [2, 10, 4]) await store.write(checkpointName(step), content(step));
    expect(await store.list()).toEqual(["step-0000002", "step-0000004", "step-0000010"]);
    expect(await store.latest()).toBe("step-0000004");
    const back = await store.read(checkpointName(10));
    expect(back.state).toEqual(content(10).state);
    expect(Object.keys(back.files).sort()).toEqual(["notes.json", "weights.safetensors"]);
    expect(Array.from(back.files["weights.safetensors"])).toEqual([10, 1, 2, 3]);
    expect(back.files["weights.safetensors"]).toBeInstanceOf(Uint8Array);
    expect(store.locate("step-0000010")).toContain("step-0000010");
  });

  it("replaces a checkpoint written again under the same name", async () => {
    const store = make();
    await store.write(checkpointName(3), content(3));
    await store.write(checkpointName(3), { state: { again: true }, files: { "other.bin": Uint8Array.from([9]) } });
    const back = await store.read(checkpointName(3));
    expect(back.state).toEqual({ again: true });
    expect(Object.keys(back.files)).toEqual(["other.bin"]);
  });

  it("prunes all but the newest `keep`, never the latest", async () => {
    const store = make();
    for (const step of [1, 2, 3, 4, 5]) await store.write(checkpointName(step), content(step));
    expect(await store.prune(2)).toEqual(["step-0000001", "step-0000002", "step-0000003"]);
    expect(await store.list()).toEqual(["step-0000004", "step-0000005"]);
    // A rewrite of an old step becomes the latest and survives pruning.
    await store.write(checkpointName(1), content(1));
    expect(await store.prune(1)).toEqual(["step-0000004"]);
    expect(await store.list()).toEqual(["step-0000001", "step-0000005"]);
    expect(await store.latest()).toBe("step-0000001");
    await expect(store.prune(0)).rejects.toThrow(/keepCheckpoints must be an integer >= 1/);
  });

  it("refuses bad names and leaves nothing behind", async () => {
    const store = make();
    await expect(store.write("latest", content(1))).rejects.toThrow(/name must look like step-0000012/);
    await expect(store.write(checkpointName(1), { state: {}, files: { "../x": new Uint8Array(1) } })).rejects.toThrow(/bad checkpoint file name/);
    await expect(store.write(checkpointName(1), { state: {}, files: { "state.json": new Uint8Array(1) } })).rejects.toThrow(/bad checkpoint file name/);
    expect(await store.list()).toEqual([]);
    expect(await store.latest()).toBeUndefined();
  });
});

describe("MemoryCheckpointStore", () => {
  it("keeps copies: changing the bytes given or returned does not change the checkpoint", async () => {
    const store = new MemoryCheckpointStore();
    const c = content(1);
    await store.write(checkpointName(1), c);
    c.files["weights.safetensors"][0] = 99;
    const back = await store.read(checkpointName(1));
    back.files["weights.safetensors"][1] = 99;
    expect(Array.from((await store.read(checkpointName(1))).files["weights.safetensors"])).toEqual([1, 1, 2, 3]);
  });
});

describe("IndexedDbCheckpointStore", () => {
  it("persists across store objects on the same database", async () => {
    const factory = new IDBFactory();
    const a = new IndexedDbCheckpointStore({ database: "persist", indexedDB: factory });
    await a.write(checkpointName(7), content(7));
    await a.close();
    const b = new IndexedDbCheckpointStore({ database: "persist", indexedDB: factory });
    expect(await b.latest()).toBe("step-0000007");
    expect((await b.read(checkpointName(7))).state).toEqual(content(7).state);
    expect(b.locate("step-0000007")).toBe("indexeddb://persist/step-0000007");
    await b.close();
  });

  it("a write that fails commits nothing: the previous checkpoint stays the latest", async () => {
    const store = new IndexedDbCheckpointStore({ database: "atomic", indexedDB: new IDBFactory() });
    await store.write(checkpointName(1), content(1));
    // A value IndexedDB cannot clone makes the put throw inside the transaction, which then aborts.
    const bad = { state: { step: 2 }, files: { "f.bin": (() => 0) as unknown as Uint8Array } };
    await expect(store.write(checkpointName(2), bad)).rejects.toThrow();
    expect(await store.list()).toEqual(["step-0000001"]);
    expect(await store.latest()).toBe("step-0000001");
    await store.close();
  });

  it("needs an IndexedDB", () => {
    expect(() => new IndexedDbCheckpointStore({ database: "x" })).toThrow(/no IndexedDB here/);
  });
});
