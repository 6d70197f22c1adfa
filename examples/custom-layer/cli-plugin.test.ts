/**
 * The custom-layer example from the command line: `gan train --plugin ./my-layer.mjs --attention pooled-attention`
 * loads the plugin file, which registers its attention block by name, and SAGAN is built with it. A file of its
 * own, so that nothing else in this process has imported my-layer.mjs before the CLI does.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "@gan/cli";
import { registeredLayers } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatorTensorNames, writeImageFolder } from "./test-helpers";

const here = path.dirname(fileURLToPath(import.meta.url));
let tmp: string;
let dataDir: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-custom-layer-cli-"));
  dataDir = path.join(tmp, "data");
  await writeImageFolder(dataDir);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("custom-layer example, command line", () => {
  it("trains with the plugin from the command line: gan train --plugin my-layer.mjs --attention pooled-attention", async () => {
    const runDir = path.join(tmp, "cli");
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      log: (m: string) => void out.push(m),
      stderr: { write: (s: string) => err.push(s) > 0, isTTY: false } as unknown as NodeJS.WriteStream,
    };
    const argv = ["train", "--plugin", path.join(here, "my-layer.mjs"), "--attention", "pooled-attention"];
    argv.push("--model", "sagan", "--data", dataDir, "--width", "4", "--batch-size", "4", "--epochs", "1");
    argv.push("--backend", "cpu", "--out", runDir, "--quiet");
    // Nothing has registered the layer in this process: --plugin must do it.
    expect(registeredLayers()).not.toContain("pooled-attention");
    const code = await main(argv, io);
    expect(err.join("")).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/completed: 2 steps/);

    const names = await generatorTensorNames(runDir);
    expect(names).toEqual(expect.arrayContaining(["self_attntion1.theta.weight", "self_attntion1.g.weight", "self_attntion2.o.weight"]));
    // Not the reference's self-attention.
    expect(names.some((n) => n.includes("query_conv"))).toBe(false);
    const config = JSON.parse(await fs.readFile(path.join(runDir, "config.json"), "utf8"));
    expect(JSON.stringify(config)).toContain("pooled-attention");
  });
});
