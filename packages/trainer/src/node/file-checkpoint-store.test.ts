import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-fs";
import { checkpointName } from "../checkpoint/checkpoint-store";
import { latestCheckpoint, listCheckpoints, pruneCheckpoints, readCheckpoint, writeCheckpoint } from "./file-checkpoint-store";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-ckpt-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const content = (step: number) => ({ state: { step }, files: { "a.bin": Uint8Array.from([step, 1, 2]) } });

describe("checkpoint store", () => {
  it("writes, points latest at, lists, reads and prunes checkpoints", async () => {
    const run = path.join(tmp, "run");
    const dir = path.join(run, "checkpoints");
    for (const step of [3, 12, 7]) await writeCheckpoint(dir, checkpointName(step), content(step));
    expect(checkpointName(12)).toBe("step-0000012");
    expect((await listCheckpoints(run)).map((p) => path.basename(p))).toEqual(["step-0000003", "step-0000007", "step-0000012"]);
    // `latest` names the last written, not the highest step.
    expect(await latestCheckpoint(run)).toBe(path.join(dir, "step-0000007"));
    expect(await fs.readFile(path.join(dir, "latest"), "utf8")).toBe("step-0000007\n");
    const read = await readCheckpoint<{ step: number }>(path.join(dir, "step-0000012"));
    expect(read.state).toEqual({ step: 12 });
    expect(Array.from(read.files["a.bin"])).toEqual([12, 1, 2]);
    // Prune keeps the newest by step, and never the one latest names.
    expect((await pruneCheckpoints(run, 1)).map((p) => path.basename(p))).toEqual(["step-0000003"]);
    expect((await listCheckpoints(run)).map((p) => path.basename(p))).toEqual(["step-0000007", "step-0000012"]);
    expect((await fs.readdir(dir)).filter((e) => e.startsWith("."))).toEqual([]);
  });

  it("replaces a checkpoint of the same step and falls back to scanning when the pointer is gone", async () => {
    const run = path.join(tmp, "run2");
    const dir = path.join(run, "checkpoints");
    await writeCheckpoint(dir, "step-0000001", content(1));
    await writeCheckpoint(dir, "step-0000001", { state: { step: 1, again: true }, files: {} });
    expect((await readCheckpoint(path.join(dir, "step-0000001"))).state).toEqual({ step: 1, again: true });
    expect((await readCheckpoint(path.join(dir, "step-0000001"))).files).toEqual({});
    await writeCheckpoint(dir, "step-0000002", content(2));
    await fs.rm(path.join(dir, "latest"));
    expect(await latestCheckpoint(run)).toBe(path.join(dir, "step-0000002"));
    await writeFileAtomic(path.join(dir, "latest"), "step-0000009\n");
    expect(await latestCheckpoint(run)).toBe(path.join(dir, "step-0000002"));
    expect(await latestCheckpoint(path.join(tmp, "nothing"))).toBeUndefined();
  });

  it("ignores half-written checkpoints and removes them on the next write", async () => {
    const run = path.join(tmp, "run3");
    const dir = path.join(run, "checkpoints");
    await writeCheckpoint(dir, "step-0000001", content(1));
    // A crash mid-write leaves a temporary folder, and a folder without state.json is not a checkpoint.
    await fs.mkdir(path.join(dir, ".step-0000002.tmp-1-abcd"));
    await fs.mkdir(path.join(dir, "step-0000003"));
    expect((await listCheckpoints(run)).map((p) => path.basename(p))).toEqual(["step-0000001"]);
    await writeCheckpoint(dir, "step-0000004", content(4));
    expect((await fs.readdir(dir)).sort()).toEqual(["latest", "step-0000001", "step-0000003", "step-0000004"]);
    await expect(readCheckpoint(path.join(dir, "step-0000003"))).rejects.toThrow("is not a checkpoint: cannot read state.json");
  });

  it("a write failing midway leaves neither the checkpoint nor a temporary folder, and latest unchanged", async () => {
    const run = path.join(tmp, "run4");
    const dir = path.join(run, "checkpoints");
    await writeCheckpoint(dir, "step-0000001", content(1));
    // The first file is written, the second cannot be: the whole checkpoint must vanish.
    const files = { "a.bin": Uint8Array.from([1]), "b.bin": 42 as unknown as Uint8Array };
    await expect(writeCheckpoint(dir, "step-0000002", { state: { step: 2 }, files })).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(["latest", "step-0000001"]);
    expect(path.basename((await latestCheckpoint(run))!)).toBe("step-0000001");
  });

  it("refuses file names that are not plain names before writing anything", async () => {
    const run = path.join(tmp, "run5");
    const dir = path.join(run, "checkpoints");
    for (const bad of ["../x", "sub/x", "sub\\x", ".hidden", "state.json", ""]) {
      await expect(writeCheckpoint(dir, "step-0000001", { state: {}, files: { [bad]: new Uint8Array(1) } })).rejects.toThrow(
        `writeCheckpoint: bad checkpoint file name '${bad}'`,
      );
    }
    expect(await listCheckpoints(run)).toEqual([]);
  });
});
