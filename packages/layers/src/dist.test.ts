import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The published builds, each in a fresh Node process (this test process has tfjs-core's unbundled ESM tree, which
 * registers gradients itself and would hide a broken build). tfjs-core resolves to its CJS bundle there, which
 * registers no gradient functions: requiring or importing @gan/layers must register them.
 *
 * Needs `pnpm --filter @gan/layers build` first (turbo runs build before test).
 */
const packageDir = fileURLToPath(new URL("..", import.meta.url));

// Runs after `tf` and `layers` are bound; prints the gradients of two tiny layers with known analytic values.
const body = `
  const hadConvGradient = tf.getGradient("Conv2D") !== undefined;
  LOAD_LAYERS
  await tf.setBackend("cpu");
  const conv = new layers.Conv2d(1, 1, 3, { padding: 1 });
  layers.constant_(conv.getParameter("weight"), 0.5);
  const x = tf.ones([1, 4, 4, 1]);
  const a = tf.variableGrads(() => tf.sum(conv.forward(x)), conv.parameters());
  const up = new layers.ConvTranspose2d(1, 1, 2, { stride: 2, bias: false });
  layers.constant_(up.getParameter("weight"), 0.25);
  const dx = tf.grad((t) => tf.sum(up.forward(t)))(tf.ones([1, 2, 2, 1]));
  const w = conv.getParameter("weight").name, b = conv.getParameter("bias").name;
  console.log(JSON.stringify({
    hadConvGradient,
    hasConvGradient: tf.getGradient("Conv2D") !== undefined,
    conv: { weight: Array.from(a.grads[w].dataSync()), bias: Array.from(a.grads[b].dataSync()) },
    convTransposeInput: Array.from(dx.dataSync()),
  }));
`;

const cjs = `
  const tf = require("@tensorflow/tfjs-core");
  require("@tensorflow/tfjs-backend-cpu");
  (async () => {${body.replace("LOAD_LAYERS", 'const layers = require("./dist/index.cjs");')}})()
    .catch((e) => { console.error(e); process.exit(1); });
`;

const esm = `
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  ${body.replace("LOAD_LAYERS", 'const layers = await import("./dist/index.js");')}
`;

function run(inputType: "commonjs" | "module", source: string, build: string): unknown {
  if (!existsSync(`${packageDir}/dist/${build}`)) {
    throw new Error(`dist/${build} is missing: run \`pnpm --filter @gan/layers build\` before this test`);
  }
  const out = execFileSync(process.execPath, [`--input-type=${inputType}`, "-e", source], {
    cwd: packageDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "");
}

// For an all-ones 4×4 input, 3×3 kernel, padding 1: each tap sees 3 or 4 rows times 3 or 4 columns.
const expected = {
  hadConvGradient: false,
  hasConvGradient: true,
  conv: { weight: [9, 12, 9, 12, 16, 12, 9, 12, 9], bias: [16] },
  // kernel 2, stride 2: every input pixel feeds four outputs through weights of 0.25
  convTransposeInput: [1, 1, 1, 1],
};

describe("built package", () => {
  it("CJS build (dist/index.cjs) registers gradients: convolution gradients are right", () => {
    expect(run("commonjs", cjs, "index.cjs")).toEqual(expected);
  });

  it("ESM build (dist/index.js) registers gradients: convolution gradients are right", () => {
    expect(run("module", esm, "index.js")).toEqual(expected);
  });
});
