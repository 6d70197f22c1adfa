import { createRequire } from "node:module";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import * as esmLosses from "@gan/losses";
import * as esm from "./index";

// The CommonJS build (dist/index.cjs, made by `pnpm build`) with CommonJS tfjs-core, whose bundle registers no
// gradients by itself: @gan/layers' build must bring them.
const require = createRequire(import.meta.url);
require("@tensorflow/tfjs-backend-cpu");
const tfc: typeof tf = require("@tensorflow/tfjs-core");
const cjs: typeof esm = require("@gan/sagan");
const cjsLosses: typeof esmLosses = require("@gan/losses");

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tfc.setBackend("cpu");
});

/** One G step of a small SAGAN: the hinge loss and the gradient norm of every generator parameter. */
function generatorStep(lib: typeof esm, losses: typeof esmLosses, t: typeof tf): { loss: number; gradNorms: number[] } {
  const G = lib.createGenerator({ width: 2, seed: 1, attentionAfter: [2, 3] });
  const D = lib.createDiscriminator({ width: 2, seed: 2 });
  const z = t.tensor2d(Array.from({ length: 40 }, (_, i) => Math.sin(i)), [2, 20]);
  const { value, grads } = t.variableGrads(
    () => losses.hingeLoss().generatorLoss(D.forward(G.forward(z).images).logits),
    G.parameters(),
  );
  const gradNorms = G.parameters().map((p) => t.norm(grads[p.name]).dataSync()[0]);
  const loss = value.dataSync()[0];
  t.dispose([z, value, ...Object.values(grads)]);
  G.dispose();
  D.dispose();
  return { loss, gradNorms };
}

describe("the CommonJS build", () => {
  it("is a separate tfjs-core instance, as a CommonJS user gets", () => {
    expect(tfc).not.toBe(tf);
  });

  it("trains: gradients reach every generator parameter and equal the ES module build's", () => {
    const a = generatorStep(cjs, cjsLosses, tfc);
    const b = generatorStep(esm, esmLosses, tf);
    expect(a.gradNorms.filter((n) => n > 0).length).toBeGreaterThan(a.gradNorms.length / 2);
    expect(a.gradNorms.every(Number.isFinite)).toBe(true);
    expect(a.loss).toBe(b.loss);
    expect(a.gradNorms).toEqual(b.gradNorms);
  });
});
