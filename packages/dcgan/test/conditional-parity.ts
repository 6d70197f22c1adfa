/**
 * Parity checks of the class-conditional models against tools/parity/make_conditional_fixtures.py (shared by the
 * @gan/dcgan and @gan/sagan tests): the G step and the D step of a conditional GAN, each once in training mode
 * (outputs, attention maps, loss, gradients w.r.t. every parameter and input, buffers after) and once in evaluation
 * mode (outputs, maps, loss and gradients again), with the fixture's labels.
 */
import { type Module, relativeError } from "@gan/layers";
import type { GanDiscriminator, GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { type ParityErrors, type Tensors, attentionErrors, bufferErrors, get, parameterGradientErrors } from "./model-parity";

type Generator = Module & GanGenerator;
type Discriminator = Module & GanDiscriminator;

const MODES = ["train", "eval"] as const;
const gradPrefix = (mode: (typeof MODES)[number]) => (mode === "train" ? "grad" : "eval.grad");

/** Runs `fn` under `tf.variableGrads` and returns its value, the gradients and what `fn` kept. */
function withKept<T>(fn: (keep: <U extends tf.Tensor>(t: U) => U) => { loss: tf.Scalar; out: T }, xs: tf.Variable[]) {
  const kept: tf.Tensor[] = [];
  const keep = <U extends tf.Tensor>(t: U): U => {
    kept.push(tf.keep(t));
    return t;
  };
  let out: T | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const r = fn(keep);
    out = r.out;
    return r.loss;
  }, xs);
  return { value, grads, out: out as T, kept };
}

/**
 * The G step on `conditional-generator.parity.safetensors`: `loss(D(G(z, labels), labels).logits)` differentiated
 * w.r.t. `z` and G's parameters, in training mode (then G's buffers) and in evaluation mode. `D` is freshly loaded;
 * its spectral-norm vectors move in the training forward, as in the fixture.
 */
export function conditionalGeneratorParity(G: Generator, D: Discriminator, tensors: Tensors, loss: (fake: tf.Tensor1D) => tf.Scalar): ParityErrors {
  const forward: Record<string, number> = {};
  const gradients: Record<string, number> = {};
  const labels = get(tensors, "labels") as tf.Tensor1D;
  for (const mode of MODES) {
    G.train(mode === "train");
    D.train(mode === "train");
    const z = tf.variable(get(tensors, "z"), true);
    const { value, grads, out, kept } = withKept((keep) => {
      const g = G.forward(z, { labels });
      const images = keep(g.images);
      const maps = g.attentionMaps.map(keep);
      const logits = keep(D.forward(g.images, { labels }).logits);
      return { loss: loss(logits), out: { images, maps, logits } };
    }, [z, ...G.parameters()]);
    forward[`${mode}.images`] = relativeError(out.images, get(tensors, `${mode}.images`));
    forward[`${mode}.logits`] = relativeError(out.logits, get(tensors, `${mode}.logits`));
    forward[`${mode}.loss`] = relativeError(value, get(tensors, `${mode}.loss`));
    attentionErrors(out.maps, tensors, mode, forward);
    if (mode === "train") bufferErrors(G, tensors, forward);
    for (const [k, e] of Object.entries(parameterGradientErrors(G, grads, tensors, gradPrefix(mode)))) gradients[`${gradPrefix(mode)}.${k}`] = e;
    gradients[`${gradPrefix(mode)}.z`] = relativeError(grads[z.name], get(tensors, `${gradPrefix(mode)}.z`));
    tf.dispose([z, value, ...kept, ...Object.values(grads)]);
  }
  return { forward, gradients };
}

/**
 * The D step on `conditional-discriminator.parity.safetensors`: D scores `x_real` with `labels_real` and `x_fake`
 * with `labels_fake` (two forwards), `loss(real, fake)` differentiated w.r.t. both inputs and D's parameters, in
 * training mode (then D's buffers) and in evaluation mode.
 */
export function conditionalDiscriminatorParity(
  D: Discriminator,
  tensors: Tensors,
  loss: (real: tf.Tensor1D, fake: tf.Tensor1D) => tf.Scalar,
): ParityErrors {
  const forward: Record<string, number> = {};
  const gradients: Record<string, number> = {};
  const labelsReal = get(tensors, "labels_real") as tf.Tensor1D;
  const labelsFake = get(tensors, "labels_fake") as tf.Tensor1D;
  for (const mode of MODES) {
    D.train(mode === "train");
    const xReal = tf.variable(get(tensors, "x_real"), true);
    const xFake = tf.variable(get(tensors, "x_fake"), true);
    const { value, grads, out, kept } = withKept((keep) => {
      const r = D.forward(xReal as unknown as tf.Tensor4D, { labels: labelsReal });
      const f = D.forward(xFake as unknown as tf.Tensor4D, { labels: labelsFake });
      const real = { logits: keep(r.logits), maps: r.attentionMaps.map(keep) };
      const fake = { logits: keep(f.logits), maps: f.attentionMaps.map(keep) };
      return { loss: loss(r.logits, f.logits), out: { real, fake } };
    }, [xReal, xFake, ...D.parameters()]);
    forward[`${mode}.logits_real`] = relativeError(out.real.logits, get(tensors, `${mode}.logits_real`));
    forward[`${mode}.logits_fake`] = relativeError(out.fake.logits, get(tensors, `${mode}.logits_fake`));
    forward[`${mode}.loss`] = relativeError(value, get(tensors, `${mode}.loss`));
    attentionErrors(out.real.maps, tensors, `${mode}.real`, forward);
    attentionErrors(out.fake.maps, tensors, `${mode}.fake`, forward);
    if (mode === "train") bufferErrors(D, tensors, forward);
    const prefix = gradPrefix(mode);
    for (const [k, e] of Object.entries(parameterGradientErrors(D, grads, tensors, prefix))) gradients[`${prefix}.${k}`] = e;
    gradients[`${prefix}.x_real`] = relativeError(grads[xReal.name], get(tensors, `${prefix}.x_real`));
    gradients[`${prefix}.x_fake`] = relativeError(grads[xFake.name], get(tensors, `${prefix}.x_fake`));
    tf.dispose([xReal, xFake, value, ...kept, ...Object.values(grads)]);
  }
  return { forward, gradients };
}
