import "@tensorflow/tfjs-backend-cpu";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../test-support";

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-cluster-"));
  data = join(tmp, "mnist01");
  // Two class folders, 0/ and 1/, of 6 digits each: as unlabelled images, two kinds far apart in pixels.
  expect((await run("prepare", "mnist", "--out", data, "--digits", "0,1", "--per-digit", "6")).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const tiny = (out: string, dir: string) => ["train", "--model", "sagan", "--data", dir, "--batch-size", "4", "--width", "4", "--ema", "--backend", "wasm", "--threads", "1", "--out", out, "--quiet"];

describe("gan cluster", () => {
  it("sorts the images into cluster folders of look-alikes; a conditional run on them records the counts; sample and eval --marginal draw by them", async () => {
    const clusters = join(tmp, "clusters");
    const result = await run("cluster", "--data", data, "--clusters", "2", "--out", clusters);
    expect(result.err).toBe("");
    expect(result.out).toMatch(new RegExp(`wrote 12 images of ${data} into 2 cluster folders of ${clusters} \\(6, 6 images; `));
    expect(await readdir(clusters)).toEqual(["cluster-00", "cluster-01"]);
    // Each cluster holds one digit (the names keep the class folder they came from), copied byte for byte.
    const members = await Promise.all(["cluster-00", "cluster-01"].map((c) => readdir(join(clusters, c))));
    const digitsOf = (names: string[]) => [...new Set(names.map((n) => n.split("_")[0]))];
    expect(members.map(digitsOf).sort()).toEqual([["0"], ["1"]]);
    const first = members[0][0];
    const [digit, ...rest] = first.split("_");
    expect(Buffer.compare(await readFile(join(clusters, "cluster-00", first)), await readFile(join(data, digit, rest.join("_"))))).toBe(0);
    // The same seed, the same clusters.
    const again = join(tmp, "again");
    expect((await run("cluster", "--data", data, "--clusters", "2", "--out", again)).code).toBe(0);
    expect(await readdir(join(again, "cluster-00"))).toEqual(members[0]);

    // Nothing is overwritten: a non-empty --out, or one inside --data, is an error naming it.
    const full = await run("cluster", "--data", data, "--clusters", "2", "--out", clusters);
    expect(full.code).toBe(1);
    expect(full.err).toContain(`--out: ${clusters} is not empty; give a new folder`);
    const inside = await run("cluster", "--data", data, "--clusters", "2", "--out", join(data, "c"));
    expect(inside.err).toContain("is inside --data");
    const tooMany = await run("cluster", "--data", data, "--clusters", "13", "--out", join(tmp, "many"));
    expect(tooMany.err).toContain(`--clusters: 13 clusters for 12 images in ${data}`);

    // A conditional run on the clusters records the images per cluster.
    const trained = join(tmp, "run");
    const training = await run(...tiny(trained, clusters), "--conditional", "--epochs", "1");
    expect(training.err).toBe("");
    const extra = JSON.parse(await readFile(join(trained, "config.json"), "utf8")).extra;
    expect(extra.classes).toEqual(["cluster-00", "cluster-01"]);
    expect(extra.classCounts).toEqual([6, 6]);

    const sampled = await run("sample", "--checkpoint", trained, "--marginal", "--n", "4", "--out", join(tmp, "m.png"), "--ema");
    expect(sampled.err).toBe("");
    expect(sampled.out).toContain("wrote 4 samples (classes in proportion to their images in the training data) of run (EMA generator)");
    const both = await run("sample", "--checkpoint", trained, "--marginal", "--class", "1", "--out", join(tmp, "x.png"));
    expect(both.err).toContain("--class and --marginal: give one of them");

    // eval --marginal: the whole distribution, no conditional accuracy (the clusters are not the data set's classes).
    const scored = await run("eval", "--run", trained, "--marginal", "--n", "4", "--classes", "0,1", "--backend", "wasm", "--threads", "1");
    expect(scored.err).toBe("");
    expect(scored.out).toMatch(/run step-\d+: n=4 FID /);
    expect(scored.out).not.toContain("accuracy");

    // An unconditional run has nothing to weigh, and a run without recorded counts says so.
    const plain = join(tmp, "plain");
    expect((await run(...tiny(plain, data), "--epochs", "1")).code).toBe(0);
    const unconditional = await run("eval", "--run", plain, "--marginal", "--n", "4", "--classes", "0,1");
    expect(unconditional.err).toContain(`--marginal: the run in ${plain} is not conditional`);
    expect((await run("sample", "--checkpoint", plain, "--marginal", "--out", join(tmp, "y.png"))).err).toContain("--marginal: the run's generator is not conditional");
    const config = JSON.parse(await readFile(join(trained, "config.json"), "utf8"));
    delete config.extra.classCounts;
    await writeFile(join(trained, "config.json"), JSON.stringify(config));
    const old = await run("eval", "--run", trained, "--marginal", "--n", "4", "--classes", "0,1");
    expect(old.err).toContain("records no images per class (extra.classCounts");
  }, 300_000);

  it("an empty --data folder, or copies of one image, are errors naming the folder", async () => {
    const empty = join(tmp, "empty");
    await mkdir(empty);
    const result = await run("cluster", "--data", empty, "--clusters", "2", "--out", join(tmp, "e"));
    expect(result.code).toBe(1);
    expect(result.err).toContain(empty);
    const copies = join(tmp, "copies");
    await mkdir(copies);
    const one = (await readdir(join(data, "0")))[0];
    for (const name of ["a.jpg", "b.jpg", "c.jpg"]) await copyFile(join(data, "0", one), join(copies, name));
    const same = await run("cluster", "--data", copies, "--clusters", "2", "--out", join(tmp, "s"));
    expect(same.err).toContain(`--clusters: the images of ${copies} fall into only 1 distinct clusters (their thumbnails repeat); ask for at most 1`);
    expect(await readdir(tmp)).not.toContain("s");
  });
});
