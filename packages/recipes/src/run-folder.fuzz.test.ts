/**
 * Fuzzing the run-folder readers (issue 22): random and structured mutations of a valid `config.json`, a
 * checkpoint's `state.json` and a web manifest, fed to the readers. Each input is either accepted, with every size
 * inside the documented limits, or refused with an Error naming the file; never a TypeError or any error without
 * the file name. Fixed seed, bounded runs.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { MODEL_LIMITS } from "@gan/layers";
import { FILE_LIMITS, STATE_FILE, checkCheckpointState } from "@gan/trainer";
import { readCheckpoint, readRunConfig } from "@gan/trainer/node";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RunExtraSchema } from "./run-extra-schema";
import { MANIFEST, RECORDED_EXTRA } from "./test-fixtures";
import { TRAINING_LIMITS } from "./training-setup-schema";
import { checkWebManifest } from "./web-manifest-schema";

const SEED = 22;
const RUNS = 300;

const CONFIG = {
  trainer: { epochs: 1000, seed: 0, gLr: 0.0012, dLr: 0.0012, beta1: 0, beta2: 0.99, epsilon: 1e-8, dSteps: 2, scores: "logits", fixedNoiseSize: 64, loss: "hinge" },
  models: { zDim: 20, generatorParameters: 207306, discriminatorParameters: 166625 },
  data: { batchSize: 32, batchesPerEpoch: 13 },
  backend: "wasm",
  versions: { "@gan/trainer": "0.1.0" },
  extra: RECORDED_EXTRA,
  createdAt: "2026-12-03T22:00:00.000Z",
};

const STATE = {
  format: "gan-toolkit/trainer-checkpoint",
  version: 1,
  step: 1012,
  epoch: 144,
  batchInEpoch: 8,
  random: { seed: 0, counter: 2892 },
  epochTotals: { steps: 4, images: 256, ms: 1291.2, dLoss: 7.4, gLoss: 1.56, dReal: -0.37, dFake: -1.17, dFakeG: -1.56 },
  options: CONFIG.trainer,
  time: "2026-12-03T22:23:09.907Z",
  data: { seed: 0, epoch: 144, batch: 0 },
  callbackFiles: { "diff-augment": ["diff-augment.json"], ema: ["generator-ema.safetensors"] },
};

type Json = unknown;
type Path = Array<string | number>;

/** Every path to a value inside `value`, the root included. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k]));
  }
  return out;
}

/** `value` with the value at `at` replaced by `make(old)` (`undefined` deletes it). */
function setAt(value: Json, at: Path, make: (old: Json) => Json): Json {
  if (at.length === 0) return make(value);
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, Json>;
  const [head, ...rest] = at;
  const next = setAt(copy[head], rest, make);
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

const nested = (depth: number, leaf: Json): Json => (depth === 0 ? leaf : [nested(depth - 1, leaf)]);

/** Values that break types and limits. */
const nasty: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e9, 1e308, -1e308, -1, 0, 0.5, 2 ** 53, -(2 ** 31), 1000, 100000, "", "1000", null, true, [], {}),
  fc.integer({ min: 0, max: 20 }).map((d) => nested(d * 50, 1e9)),
);

/** A JSON text of `valid` mutated: a value replaced or deleted, a `__proto__` key, deep nesting, or raw bytes. */
function mutatedText(valid: Json): fc.Arbitrary<string> {
  const paths = pathsOf(valid);
  const at = fc.constantFrom(...paths);
  return fc.oneof(
    fc.tuple(at, nasty).map(([p, v]) => JSON.stringify(setAt(valid, p, () => v))),
    fc.tuple(at, nasty, at, nasty).map(([p, v, q, w]) => JSON.stringify(setAt(setAt(valid, p, () => v), q, () => w))),
    at.filter((p) => p.length > 0).map((p) => JSON.stringify(setAt(valid, p, () => undefined))),
    fc.tuple(at, nasty).map(([p, v]) => {
      // A "__proto__" key can only be written as raw JSON text (it is a setter on object literals).
      const marker = "__fuzz_proto__";
      return JSON.stringify(setAt(valid, p, (old) => (old && typeof old === "object" && !Array.isArray(old) ? { ...old, [marker]: v } : { [marker]: v }))).replaceAll(marker, "__proto__");
    }),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => new TextDecoder().decode(bytes)),
    fc.nat().map((n) => {
      const text = JSON.stringify(valid);
      return text.slice(0, n % text.length);
    }),
  );
}

/** How many inputs each property accepted and refused, to show that it exercised both sides. */
let tally = { accepted: 0, refused: 0 };

/** Runs `read`: it must resolve with a value that passes `check`, or reject with an Error naming `file`. */
async function acceptedOrNamed<T>(read: () => Promise<T>, file: string, check: (value: T) => void): Promise<void> {
  let value: T;
  try {
    value = await read();
  } catch (e) {
    tally.refused++;
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(TypeError);
    expect(e).not.toBeInstanceOf(RangeError);
    expect((e as Error).message).toContain(file);
    return;
  }
  tally.accepted++;
  check(value);
}

const inRange = (n: unknown, min: number, max: number) => {
  expect(Number.isInteger(n) && (n as number) >= min && (n as number) <= max).toBe(true);
};

function checkModel(model: { zDim: number; width: number; channels: number; latentGap?: { dims: number } } | undefined): void {
  if (!model) return;
  inRange(model.width, 1, MODEL_LIMITS.maxWidth);
  inRange(model.zDim, 1, MODEL_LIMITS.maxZDim);
  expect(MODEL_LIMITS.channels).toContain(model.channels);
  if (model.latentGap) inRange(model.latentGap.dims, 1, model.zDim);
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "gan-run-fuzz-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  tally = { accepted: 0, refused: 0 };
});
afterEach(() => {
  expect(tally.accepted).toBeGreaterThan(0);
  expect(tally.refused).toBeGreaterThan(0);
});

describe("run-folder readers under fuzzing", () => {
  it("config.json: accepted within the limits, or an Error naming the file", async () => {
    const dir = path.join(tmp, "run");
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, "config.json");
    await fc.assert(
      fc.asyncProperty(mutatedText(CONFIG), async (text) => {
        await fs.writeFile(file, text);
        await acceptedOrNamed(() => readRunConfig(dir, RunExtraSchema), file, (config) => {
          expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
          checkModel(config.extra?.model);
          if (config.extra?.training?.eval) inRange(config.extra.training.eval.n, 2, TRAINING_LIMITS.maxEvalSamples);
          if (config.data?.batchSize !== undefined) inRange(config.data.batchSize, 1, FILE_LIMITS.maxBatchSize);
          if (config.trainer?.fixedNoiseSize !== undefined) inRange(config.trainer.fixedNoiseSize, 1, FILE_LIMITS.maxFixedNoiseSize);
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("state.json: accepted with a sound position, or an Error naming the checkpoint's state.json", async () => {
    const dir = path.join(tmp, "checkpoints", "step-0001012");
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, STATE_FILE);
    await fc.assert(
      fc.asyncProperty(mutatedText(STATE), async (text) => {
        await fs.writeFile(file, text);
        await acceptedOrNamed(async () => checkCheckpointState((await readCheckpoint(dir)).state, file), file, (state) => {
          expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
          for (const n of [state.step, state.epoch, state.batchInEpoch, state.random.seed, state.random.counter]) inRange(n, 0, Number.MAX_SAFE_INTEGER);
          if (state.options.fixedNoiseSize !== undefined) inRange(state.options.fixedNoiseSize, 1, FILE_LIMITS.maxFixedNoiseSize);
        });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("manifest.json: accepted within the limits, or an Error naming the manifest", async () => {
    const file = "model/manifest.json";
    await fc.assert(
      fc.asyncProperty(mutatedText(MANIFEST), async (text) => {
        await acceptedOrNamed(
          async () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              throw new Error(`${file} is not JSON`); // as the web demo reports it
            }
            return checkWebManifest(json, file);
          },
          file,
          (manifest) => {
            checkModel(manifest.model);
            expect(manifest.weights.file).toMatch(/^[\w][\w.-]*$/);
            expect(manifest.attention.length).toBeLessThanOrEqual(4);
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
