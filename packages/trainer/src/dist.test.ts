import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The published builds (the main entry and `@gan/trainer/node`), each in a fresh Node process where tfjs-core resolves to its bundles (which register
 * no gradients by themselves): a few training steps through `train()` must run, write the run folder and
 * move both models' weights.
 *
 * Needs `pnpm --filter @gan/trainer build` first (turbo runs build before test).
 */
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), "gan-dist-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const body = `
  await tf.setBackend("cpu");
  class G extends layers.Module {
    constructor() {
      super();
      this.zDim = 3;
      const random = new layers.Random(1);
      this.net = this.registerModule("net", new layers.Sequential(
        new layers.ConvTranspose2d(3, 4, 4, { random }), new layers.BatchNorm2d(4), new layers.ReLU(),
        new layers.ConvTranspose2d(4, 1, 4, { stride: 2, padding: 1, random }), new layers.Tanh()));
    }
    forward(z) {
      return { images: this.net.forward(tf.reshape(z, [z.shape[0], 1, 1, 3])), attentionMaps: [] };
    }
  }
  class D extends layers.Module {
    constructor() {
      super();
      const random = new layers.Random(2);
      this.net = this.registerModule("net", new layers.Sequential(
        new layers.Conv2d(1, 2, 4, { stride: 2, padding: 1, random }), new layers.LeakyReLU(0.1), new layers.Conv2d(2, 1, 4, { random })));
    }
    forward(x) {
      return { logits: tf.reshape(this.net.forward(x), [x.shape[0]]), attentionMaps: [] };
    }
  }
  const g = new G();
  const d = new D();
  const before = [...g.parameters(), ...d.parameters()].map((v) => Array.from(v.dataSync()));
  const images = tf.tanh(tf.randomNormal([6, 8, 8, 1], 0, 1, "float32", 5));
  const loss = {
    name: "bce",
    discriminatorLoss: (r, f) => tf.add(tf.mean(tf.softplus(tf.neg(r))), tf.mean(tf.softplus(f))),
    generatorLoss: (f) => tf.mean(tf.softplus(tf.neg(f))),
  };
  const result = await trainer.train({
    generator: g, discriminator: d, loss, epochs: 2, runDir: RUN_DIR,
    data: trainer.arrayDataSource(images, { batchSize: 4 }),
  });
  const after = [...g.parameters(), ...d.parameters()].map((v) => Array.from(v.dataSync()));
  const records = await trainer.readMetrics(RUN_DIR + "/metrics.jsonl");
  console.log(JSON.stringify({
    status: result.status,
    step: result.step,
    allMoved: before.every((b, i) => b.some((x, j) => x !== after[i][j])),
    finite: records.every((r) => Number.isFinite(r.dLoss) && Number.isFinite(r.gLoss)),
    checkpoints: (await trainer.listCheckpoints(RUN_DIR)).length,
  }));
`;

function run(kind: "cjs" | "esm"): unknown {
  const runDir = JSON.stringify(path.join(tmp, kind));
  const script =
    kind === "cjs"
      ? `const tf = require("@tensorflow/tfjs-core"); require("@tensorflow/tfjs-backend-cpu");
         const layers = require("@gan/layers"); const trainer = { ...require("./dist/index.cjs"), ...require("./dist/node/index.cjs") }; const RUN_DIR = ${runDir};
         (async () => {${body}})().catch((e) => { console.error(e); process.exit(1); });`
      : `import * as tf from "@tensorflow/tfjs-core"; import "@tensorflow/tfjs-backend-cpu";
         import * as layers from "@gan/layers"; import * as main from "./dist/index.js"; import * as node from "./dist/node/index.js";
         const trainer = { ...main, ...node }; const RUN_DIR = ${runDir};
         ${body}`;
  const args = kind === "cjs" ? ["-e", script] : ["--input-type=module", "-e", script];
  const out = execFileSync(process.execPath, args, { cwd: packageDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return JSON.parse(out.trim().split("\n").pop()!);
}

describe("the published builds", () => {
  it("are built", () => {
    expect(existsSync(path.join(packageDir, "dist", "index.cjs")), "run `pnpm --filter @gan/trainer build`").toBe(true);
    expect(existsSync(path.join(packageDir, "dist", "index.js"))).toBe(true);
    expect(existsSync(path.join(packageDir, "dist", "node", "index.cjs"))).toBe(true);
    expect(existsSync(path.join(packageDir, "dist", "node", "index.js"))).toBe(true);
  });

  for (const kind of ["cjs", "esm"] as const) {
    it(`train from the ${kind} build`, () => {
      expect(run(kind)).toEqual({ status: "completed", step: 4, allMoved: true, finite: true, checkpoints: 2 });
    });
  }
});
