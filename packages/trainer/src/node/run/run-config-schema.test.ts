import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMetrics } from "./metrics-file";
import { CONFIG_FILE, type RunConfig, readRunConfig } from "./run-config";
import type { RunConfigSchema } from "./run-config-schema";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-run-config-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const written: RunConfig = {
  trainer: { epochs: 3, seed: 0, gLr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9, epsilon: 1e-8, dSteps: 1, scores: "logits", fixedNoiseSize: 64, loss: "hinge" },
  models: { zDim: 20, generatorParameters: 10, discriminatorParameters: 10 },
  data: { batchSize: 8, batchesPerEpoch: 2 },
  backend: "tensorflow",
  gpu: true,
  versions: { "@gan/trainer": "0.1.0" },
  extra: { model: { model: "dcgan", width: 8 } },
  createdAt: "2026-12-01T00:00:00.000Z",
};

async function runWith(content: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmp, "run-"));
  await fs.writeFile(path.join(dir, CONFIG_FILE), content);
  return dir;
}

describe("readRunConfig", () => {
  it("reads what runConfig writes, keeping fields it does not know (history)", async () => {
    const dir = await runWith(JSON.stringify({ ...written, history: [{ step: 4 }] }));
    expect(await readRunConfig(dir)).toEqual({ ...written, history: [{ step: 4 }] });
  });

  it("reads a config.json of an earlier version without the fields it lacked", async () => {
    const dir = await runWith(JSON.stringify({ trainer: { epochs: 3 }, extra: { model: { model: "sagan" } } }));
    expect((await readRunConfig(dir)).extra).toEqual({ model: { model: "sagan" } });
  });

  it.each([
    ["not JSON", "\u0000\u00ff{", /config\.json: not valid JSON/],
    ["an array", "[1,2]", /config\.json: expected an object, got Array/],
    ["a huge batch size", JSON.stringify({ ...written, data: { batchSize: 1e9 } }), /config\.json: data\.batchSize: expected an integer in \[1, 4096\], got 1000000000/],
    ["a string epoch count", JSON.stringify({ ...written, trainer: { epochs: "3" } }), /config\.json: trainer\.epochs: expected an integer in \[0, 1000000\], got "3"/],
    ["extra not an object", JSON.stringify({ ...written, extra: 5 }), /config\.json: extra: expected Object, got 5/],
  ])("%s: an error naming the file and the field", async (_name, content, message) => {
    const dir = await runWith(content);
    const error = await readRunConfig(dir).catch((e: Error) => e);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(path.join(dir, CONFIG_FILE));
  });

  it("checks extra with the caller's schema, naming the path under extra", async () => {
    const dir = await runWith(JSON.stringify(written));
    const schema = v.object({ model: v.object({ width: v.pipe(v.number(), v.maxValue(4, (i) => `expected at most 4, got ${i.received}`)) }) });
    await expect(readRunConfig(dir, schema)).rejects.toThrow(`${path.join(dir, CONFIG_FILE)}: extra.model.width: expected at most 4, got 8`);
  });

  it("the schema accepts every config the trainer writes (types in sync)", () => {
    const accepted: v.InferInput<typeof RunConfigSchema> = { ...written }; // a compile-time check
    expect(accepted).toEqual(written);
  });
});

describe("parseMetrics", () => {
  it("names the file, the line and the field of a bad record", () => {
    expect(parseMetrics('{"type":"step","epoch":0,"step":1,"dLoss":null}\n{"type":"epoch","epoch":0,"step":1}\n{"type":"eval","epoch":0,"step":1}\n')).toHaveLength(3);
    expect(() => parseMetrics('{"type":"step","epoch":0,"step":1}\n{"type":"step","epoch":0}\n', "m.jsonl")).toThrow("m.jsonl:2: step: missing");
    expect(() => parseMetrics("[]\n", "m.jsonl")).toThrow("m.jsonl:1: expected an object, got Array");
  });
});
