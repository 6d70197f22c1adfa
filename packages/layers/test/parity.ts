import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";
import type { Module } from "../src/module";
import { decodeSafetensors } from "../src/safetensors";
import { relativeError } from "../src/testing";

/** Reads `packages/layers/fixtures/<file>` (written by tools/parity/make_layer_fixtures.py). */
export function loadFixture(file: string): { tensors: Record<string, tf.Tensor>; metadata: Record<string, string> } {
  const path = fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));
  return decodeSafetensors(readFileSync(path), path);
}

/** The fixture tensor `key`, failing loudly when the fixture lacks it. */
export function get(tensors: Record<string, tf.Tensor>, key: string): tf.Tensor {
  const t = tensors[key];
  if (!t) throw new Error(`fixture has no tensor '${key}'`);
  return t;
}

/** Copies `<prefix>.<name>` into every parameter of `module`. */
export function loadParameters(module: Module, tensors: Record<string, tf.Tensor>, prefix: string): void {
  for (const [name, v] of module.namedParameters()) v.assign(get(tensors, `${prefix}.${name}`));
}

/** Relative errors of one case: the output and the gradient of each of `x` and the parameters. */
export interface CaseErrors {
  y: number;
  grads: Record<string, number>;
}

/**
 * Runs `forward(<name>.x)` once under `tf.variableGrads` with the loss `sum(y * <name>.r)` and compares the
 * output with `<name>.y` and the gradients with `<name>.grad.x` / `<name>.grad.<param>`.
 */
export function gradientCase(
  module: Module,
  forward: (x: tf.Tensor4D) => tf.Tensor,
  tensors: Record<string, tf.Tensor>,
  name: string,
): CaseErrors {
  const x = tf.variable(get(tensors, `${name}.x`), true);
  const params = module.namedParameters();
  let y: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(
    () => {
      y = tf.keep(forward(x as unknown as tf.Tensor4D));
      return tf.sum(tf.mul(y, get(tensors, `${name}.r`)));
    },
    [x, ...params.map(([, v]) => v)],
  );
  const errors: CaseErrors = { y: relativeError(y as tf.Tensor, get(tensors, `${name}.y`)), grads: {} };
  errors.grads.x = relativeError(grads[x.name], get(tensors, `${name}.grad.x`));
  for (const [pname, v] of params) errors.grads[pname] = relativeError(grads[v.name], get(tensors, `${name}.grad.${pname}`));
  if (process.env.PARITY_LOG) console.log(`parity ${name}: ${JSON.stringify(errors)}`);
  tf.dispose([x, value, y as tf.Tensor, ...Object.values(grads)]);
  return errors;
}

/** Asserts the parity tolerances: ≤ 1e-5 for the output, ≤ 1e-4 for each gradient, naming the failing one. */
export function expectParity(errors: CaseErrors, name: string): void {
  expect(errors.y, `${name}: output`).toBeLessThanOrEqual(1e-5);
  for (const [k, e] of Object.entries(errors.grads)) expect(e, `${name}: gradient of ${k}`).toBeLessThanOrEqual(1e-4);
}
