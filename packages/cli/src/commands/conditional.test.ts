import "@tensorflow/tfjs-backend-cpu";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMA_GENERATOR_FILE } from "@gan/trainer";
import { latestCheckpoint } from "@gan/trainer/node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../test-support";
import { classLabel } from "./sample";

let tmp: string;
let data: string;
let flat: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "gan-cli-conditional-"));
  data = join(tmp, "mnist35");
  flat = join(tmp, "img_78");
  // Two class folders, 3/ and 5/, of 4 digits each; and the flat folder of mnist78.
  expect((await run("prepare", "mnist", "--out", data, "--digits", "3,5", "--per-digit", "4")).code).toBe(0);
  expect((await run("prepare", "mnist78", "--out", flat, "--per-digit", "4")).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A tiny conditional SAGAN on the 8 images (2 steps per epoch), with an EMA, on the single-threaded wasm backend. */
const tiny = (out: string, dir = data) => ["train", "--model", "sagan", "--data", dir, "--batch-size", "4", "--width", "4", "--ema", "--backend", "wasm", "--threads", "1", "--out", out, "--quiet"];

describe("gan train --conditional", () => {
  it("trains on the class folders, records the classes; sample --class / --per-class and export-web use them; resume is bit-identical", async () => {
    const unbroken = join(tmp, "unbroken");
    const trained = await run(...tiny(unbroken), "--conditional", "--epochs", "2");
    expect(trained.err).toBe("");
    expect(trained.out).toContain("classes: 2 (3, 5), one conditional label each");
    expect(trained.out).toMatch(/completed: 4 steps/);
    const extra = JSON.parse(await readFile(join(unbroken, "config.json"), "utf8")).extra;
    expect(extra.model).toMatchObject({ model: "sagan", conditional: true, numClasses: 2 });
    expect(extra.classes).toEqual(["3", "5"]);

    // Stopped after epoch 1 and resumed with a plain --resume (conditional from config.json): the same weights and EMA.
    const broken = join(tmp, "broken");
    expect((await run(...tiny(broken), "--conditional", "--epochs", "1")).code).toBe(0);
    const resumed = await run(...tiny(broken), "--epochs", "2", "--resume");
    expect(resumed.err).toBe("");
    const a = (await latestCheckpoint(unbroken))!;
    const b = (await latestCheckpoint(broken))!;
    for (const file of ["generator.safetensors", "discriminator.safetensors", EMA_GENERATOR_FILE]) {
      expect(Buffer.compare(await readFile(join(a, file)), await readFile(join(b, file))), file).toBe(0);
    }
    // The same classes are needed to resume.
    const other = await run(...tiny(broken, flat), "--epochs", "3", "--resume");
    expect(other.code).toBe(1);
    expect(other.err).toContain("a conditional run needs one sub-folder per class");
    const renamed = join(tmp, "renamed");
    await cp(join(data, "3"), join(renamed, "three"), { recursive: true });
    await cp(join(data, "5"), join(renamed, "five"), { recursive: true });
    const differing = await run(...tiny(broken, renamed), "--epochs", "3", "--resume");
    expect(differing.code).toBe(1);
    expect(differing.err).toContain(`--resume: ${renamed} has the classes five, three, but the run in ${broken} trained on 3, 5; resume with the same class sub-folders`);

    // gan sample: by class name, by index, one row per class.
    const five = join(tmp, "five.png");
    const byName = await run("sample", "--checkpoint", unbroken, "--class", "5", "--n", "4", "--out", five, "--ema");
    expect(byName.err).toBe("");
    expect(byName.out).toContain("wrote 4 samples of class 5 of unbroken (EMA generator)");
    expect((await run("sample", "--checkpoint", unbroken, "--class", "1", "--n", "4", "--out", join(tmp, "one.png"))).out).toContain("of class 5");
    const rows = join(tmp, "rows.png");
    const perClass = await run("sample", "--checkpoint", unbroken, "--per-class", "3", "--out", rows);
    expect(perClass.out).toContain("wrote 6 samples (one row per class: 3, 5)");
    const grid = await sharp(rows).metadata();
    const single = await sharp(five).metadata(); // 2×2 of the same tiles
    expect(grid.width! / single.width!).toBeCloseTo(3 / 2, 1);
    expect(grid.height).toBe(single.height);
    const bad = await run("sample", "--checkpoint", unbroken, "--class", "7", "--out", join(tmp, "x.png"));
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--class: expected one of the classes 3, 5 or a label index in [0, 2), got '7'");

    // gan eval: the classes it trained on, labels by index (3 → 0, 5 → 1), conditional accuracy per class.
    const scored = await run("eval", "--run", unbroken, "--n", "4", "--classes", "3,5", "--class-labels", "index", "--backend", "wasm", "--threads", "1");
    expect(scored.err).toBe("");
    expect(scored.out).toMatch(/unbroken step-0000004: n=4 FID .* \(3: [0-9.]+, 5: [0-9.]+\).* accuracy [0-9.]+ \(3: [0-9.]+, 5: [0-9.]+\)/);
    const unlabelled = await run("eval", "--run", unbroken, "--n", "4", "--no-conditional", "--backend", "wasm", "--threads", "1");
    expect(unlabelled.code).toBe(1);
    expect(unlabelled.err).toMatch(/labels are required/);
    const wrongSet = await run("eval", "--run", unbroken, "--dataset", "cifar");
    expect(wrongSet.code).toBe(2);
    expect(wrongSet.err).toContain("expected one of mnist, fashion-mnist, got 'cifar'");

    // export-web: numClasses, the class names for a viewer's class picker and the images per class for its
    // "as in the data" choice.
    const web = join(tmp, "web");
    expect((await run("export-web", "--run", unbroken, "--out", web)).err).toBe("");
    const manifest = JSON.parse(await readFile(join(web, "manifest.json"), "utf8"));
    expect(manifest.model.numClasses).toBe(2);
    expect(manifest.classes).toEqual(["3", "5"]);
    expect(manifest.classCounts).toEqual([4, 4]);
  }, 300_000);

  it("a folder without class sub-folders is an error naming it and how gan prepare mnist lays them out", async () => {
    const result = await run(...tiny(join(tmp, "flat-run"), flat), "--conditional", "--epochs", "1");
    expect(result.code).toBe(1);
    expect(result.err).toContain(`--conditional: ${flat} has images outside class sub-folders`);
    expect(result.err).toContain(`as 'gan prepare mnist --out ${flat}' writes them (${flat}/0/, ${flat}/1/, … ${flat}/9/; --digits 7,8 for two classes)`);
  });

  it("--class and --per-class need a conditional run; --class names a recorded class or an index", async () => {
    const plain = join(tmp, "plain");
    expect((await run(...tiny(plain, flat), "--epochs", "1")).code).toBe(0);
    for (const flag of [["--class", "1"], ["--per-class", "2"]]) {
      const result = await run("sample", "--checkpoint", plain, ...flag, "--out", join(tmp, "p.png"));
      expect(result.code).toBe(1);
      expect(result.err).toContain(`${flag[0]}: the run's generator is not conditional (train it with 'gan train --conditional')`);
    }
    expect(classLabel("8", 2, ["7", "8"])).toBe(1);
    expect(classLabel("0", 2, ["7", "8"])).toBe(0);
    expect(classLabel("cat", 3, ["dog", "cat", "emu"])).toBe(1);
    // Fashion-MNIST's folders: by the whole name, the class name or the index.
    const fashion = ["0-t-shirt-top", "1-trouser", "2-pullover", "3-dress"];
    expect([classLabel("3-dress", 4, fashion), classLabel("dress", 4, fashion), classLabel("1", 4, fashion)]).toEqual([3, 3, 1]);
    expect(() => classLabel("2", 2, undefined)).toThrow("--class: expected a label index in [0, 2), got '2'");
  }, 120_000);
});
