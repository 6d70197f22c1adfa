/**
 * Parity checks of whole models against the fixtures of tools/parity/make_model_fixtures.py (shared by the
 * @gan/dcgan and @gan/sagan tests): one training-mode forward and backward as in the reference loop, the buffers
 * it leaves, then an evaluation-mode forward.
 */
import { readFileSync } from "node:fs";
import { type Module, decodeSafetensors, relativeError } from "@gan/layers";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";

export type Tensors = Record<string, tf.Tensor>;

/** Reads a fixture file; tensors by name and the metadata (image_size, z_dim, batch, ...). */
export function readFixture(path: string): { tensors: Tensors; metadata: Record<string, string> } {
  return decodeSafetensors(readFileSync(path), path);
}

/** The fixture tensor `key`, failing loudly when the fixture lacks it. */
export function get(tensors: Tensors, key: string): tf.Tensor {
  const t = tensors[key];
  if (!t) throw new Error(`fixture has no tensor '${key}'`);
  return t;
}

/** Errors of one parity run: outputs/buffers (held to 1e-5) and gradients (held to 1e-4), by name. */
export interface ParityErrors {
  forward: Record<string, number>;
  gradients: Record<string, number>;
}

/** Asserts the tolerances, naming the failing tensor; logs every error when `PARITY_LOG` is set. */
export function expectParity(errors: ParityErrors, label: string): void {
  if (process.env.PARITY_LOG) {
    const worst = (r: Record<string, number>) => Object.entries(r).reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0]);
    console.log(`${label}: largest forward error ${JSON.stringify(worst(errors.forward))}, largest gradient error ${JSON.stringify(worst(errors.gradients))}`);
    console.log(JSON.stringify(errors));
  }
  for (const [k, e] of Object.entries(errors.forward)) expect(e, `${label}: ${k}`).toBeLessThanOrEqual(1e-5);
  for (const [k, e] of Object.entries(errors.gradients)) expect(e, `${label}: gradient of ${k}`).toBeLessThanOrEqual(1e-4);
}

/**
 * The error of each parameter gradient, normwise over its module (a layer's weight and bias together):
 * `max|actual − expected| / max|expected gradients of that module|`. Some gradients are zero in exact arithmetic
 * (a convolution bias before BatchNorm; the query bias of attention, as softmax ignores a constant shift; the
 * discriminator's last bias under the hinge loss, where the real and fake terms cancel), so both sides hold
 * only rounding noise and a per-tensor relative error would compare noise with noise. The expected gradients are
 * `<prefix>.<name>` (default `grad.<name>`).
 */
export function parameterGradientErrors(module: Module, grads: Record<string, tf.Tensor>, tensors: Tensors, prefix = "grad"): Record<string, number> {
  const moduleOf = (name: string) => name.slice(0, name.lastIndexOf("."));
  const scale = new Map<string, number>();
  for (const [name] of module.namedParameters()) {
    const m = maxAbs(get(tensors, `${prefix}.${name}`));
    scale.set(moduleOf(name), Math.max(scale.get(moduleOf(name)) ?? 0, m));
  }
  const out: Record<string, number> = {};
  for (const [name, v] of module.namedParameters()) {
    const actual = grads[v.name];
    if (!actual) throw new Error(`no gradient for parameter '${name}'`);
    const diff = maxAbs(tf.tidy(() => tf.sub(actual, get(tensors, `${prefix}.${name}`))));
    const s = scale.get(moduleOf(name)) ?? 0;
    out[name] = s > 0 ? diff / s : diff;
  }
  return out;
}

function maxAbs(t: tf.Tensor): number {
  const a = t.dataSync();
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}

/** Compares attention maps with `<prefix>.attentionK`, restricted to the fixture's `.rows` when it has them. */
export function attentionErrors(maps: tf.Tensor3D[], tensors: Tensors, prefix: string, out: Record<string, number>): void {
  const expected = Object.keys(tensors).filter((k) => new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.attention\\d+$`).test(k));
  expect(maps.length, `${prefix}: number of attention maps`).toBe(expected.length);
  maps.forEach((map, i) => {
    const key = `${prefix}.attention${i + 1}`;
    const rows = tensors[`${key}.rows`];
    const actual = rows ? tf.gather(map, rows, 1) : map;
    out[key] = relativeError(actual, get(tensors, key));
    if (rows) actual.dispose();
  });
}

/** Compares every buffer of `module` with `after.<name>`. */
export function bufferErrors(module: Module, tensors: Tensors, out: Record<string, number>): void {
  for (const [name, b] of module.namedBuffers()) {
    const expected = get(tensors, `after.${name}`);
    out[`after.${name}`] = b.dtype === "int32" ? (b.dataSync()[0] === expected.dataSync()[0] ? 0 : 1) : relativeError(b, expected);
  }
}

type Generator = Module & GanGenerator;
type Discriminator = Module & GanDiscriminator;

/**
 * The G step of the reference loop on `generator.parity.safetensors`: G and D (freshly loaded) in training
 * mode, `loss(D(G(z)).logits)` differentiated w.r.t. `z` and G's parameters; then G in evaluation mode.
 */
export function generatorParity(G: Generator, D: Discriminator, tensors: Tensors, loss: (fake: tf.Tensor1D) => tf.Scalar): ParityErrors {
  const forward: Record<string, number> = {};
  G.train();
  D.train();
  const z = tf.variable(get(tensors, "z"), true);
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    kept.push(tf.keep(t));
    return t;
  };
  let images: tf.Tensor | undefined;
  let maps: tf.Tensor3D[] = [];
  let logits: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = G.forward(z);
    images = keep(out.images);
    maps = out.attentionMaps.map(keep);
    logits = keep(D.forward(out.images).logits);
    return loss(logits as tf.Tensor1D);
  }, [z, ...G.parameters()]);
  forward["train.images"] = relativeError(images as tf.Tensor, get(tensors, "train.images"));
  forward["train.logits"] = relativeError(logits as tf.Tensor, get(tensors, "train.logits"));
  forward["train.loss"] = relativeError(value, get(tensors, "train.loss"));
  attentionErrors(maps, tensors, "train", forward);
  bufferErrors(G, tensors, forward);
  const gradients = parameterGradientErrors(G, grads, tensors);
  gradients.z = relativeError(grads[z.name], get(tensors, "grad.z"));
  tf.dispose([z, value, ...kept, ...Object.values(grads)]);

  G.eval();
  const out = G.forward(get(tensors, "z"));
  forward["eval.images"] = relativeError(out.images, get(tensors, "eval.images"));
  attentionErrors(out.attentionMaps, tensors, "eval", forward);
  tf.dispose([out.images, ...out.attentionMaps]);
  return { forward, gradients };
}

/**
 * The D step of the reference loop on `discriminator.parity.safetensors`: D in training mode scores `x_real` then
 * `x_fake` (two forwards, each moving the spectral-norm vectors), `loss(real, fake)` differentiated w.r.t. both
 * inputs and D's parameters; then D in evaluation mode.
 */
export function discriminatorParity(
  D: Discriminator,
  tensors: Tensors,
  loss: (real: tf.Tensor1D, fake: tf.Tensor1D) => tf.Scalar,
): ParityErrors {
  const forward: Record<string, number> = {};
  D.train();
  const xReal = tf.variable(get(tensors, "x_real"), true);
  const xFake = tf.variable(get(tensors, "x_fake"), true);
  const kept: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    kept.push(tf.keep(t));
    return t;
  };
  let real: { logits: tf.Tensor1D; attentionMaps: tf.Tensor3D[] } | undefined;
  let fake: { logits: tf.Tensor1D; attentionMaps: tf.Tensor3D[] } | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const r = D.forward(xReal as unknown as tf.Tensor4D);
    const f = D.forward(xFake as unknown as tf.Tensor4D);
    real = { logits: keep(r.logits), attentionMaps: r.attentionMaps.map(keep) };
    fake = { logits: keep(f.logits), attentionMaps: f.attentionMaps.map(keep) };
    return loss(r.logits, f.logits);
  }, [xReal, xFake, ...D.parameters()]);
  if (!real || !fake) throw new Error("the loss function did not run");
  forward["train.logits_real"] = relativeError(real.logits, get(tensors, "train.logits_real"));
  forward["train.logits_fake"] = relativeError(fake.logits, get(tensors, "train.logits_fake"));
  forward["train.loss"] = relativeError(value, get(tensors, "train.loss"));
  attentionErrors(real.attentionMaps, tensors, "train.real", forward);
  attentionErrors(fake.attentionMaps, tensors, "train.fake", forward);
  bufferErrors(D, tensors, forward);
  const gradients = parameterGradientErrors(D, grads, tensors);
  gradients.x_real = relativeError(grads[xReal.name], get(tensors, "grad.x_real"));
  gradients.x_fake = relativeError(grads[xFake.name], get(tensors, "grad.x_fake"));
  tf.dispose([xReal, xFake, value, ...kept, ...Object.values(grads)]);

  D.eval();
  const r = D.forward(get(tensors, "x_real") as tf.Tensor4D);
  const f = D.forward(get(tensors, "x_fake") as tf.Tensor4D);
  forward["eval.logits_real"] = relativeError(r.logits, get(tensors, "eval.logits_real"));
  forward["eval.logits_fake"] = relativeError(f.logits, get(tensors, "eval.logits_fake"));
  attentionErrors(r.attentionMaps, tensors, "eval.real", forward);
  tf.dispose([r.logits, f.logits, ...r.attentionMaps, ...f.attentionMaps]);
  return { forward, gradients };
}
