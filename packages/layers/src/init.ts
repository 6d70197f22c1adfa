import * as tf from "@tensorflow/tfjs-core";
import { BatchNorm2d } from "./batch-norm2d";
import { ConditionalBatchNorm2d } from "./conditional-batch-norm2d";
import { ConvTranspose2d } from "./conv-transpose2d";
import { Conv2d } from "./conv2d";
import type { Module } from "./module";
import { ProjectionHead } from "./projection-head";
import { type Random, defaultRandom } from "./random";

/** Fills `v` in place with samples of N(mean, std²), as `torch.nn.init.normal_`; returns `v`. */
export function normal_(v: tf.Variable, mean = 0, std = 1, random: Random = defaultRandom()): tf.Variable {
  assignFloat(v, "normal_", () => random.normal(v.shape, mean, std));
  return v;
}

/** Fills `v` in place with samples of U[low, high), as `torch.nn.init.uniform_`; returns `v`. */
export function uniform_(v: tf.Variable, low = 0, high = 1, random: Random = defaultRandom()): tf.Variable {
  if (!(low <= high)) throw new Error(`uniform_: low (${low}) must not exceed high (${high})`);
  assignFloat(v, "uniform_", () => random.uniform(v.shape, low, high));
  return v;
}

/** Fills `v` in place with `value`, as `torch.nn.init.constant_`; returns `v`. */
export function constant_(v: tf.Variable, value: number): tf.Variable {
  tf.tidy(() => v.assign(tf.fill(v.shape, value, v.dtype)));
  return v;
}

function assignFloat(v: tf.Variable, fn: string, sample: () => tf.Tensor): void {
  if (v.dtype !== "float32") throw new Error(`${fn}: variable '${v.name}' has dtype ${v.dtype}, expected float32`);
  tf.tidy(() => v.assign(sample()));
}

/**
 * The reference DCGAN/SAGAN `weights_init`, applied to `module` and every descendant: convolution and transposed
 * convolution weights ~ N(0, 0.02) and biases 0; BatchNorm weights ~ N(1, 0.02) and biases 0. The conditional
 * layers, as the reference's `conditional_weights_init` (`tools/reference/reference.py`) extends it: a
 * {@link ConditionalBatchNorm2d}'s per-class scales ~ N(1, 0.02) and shifts 0 (a BatchNorm's weight and bias per
 * class), a {@link ProjectionHead}'s class embedding ~ N(0, 0.02) (a convolution weight's scale, so the class term
 * starts as small as the logit); a BatchNorm2d without `affine` has nothing to draw.
 *
 * A module counts as a convolution when it is a {@link Conv2d} / {@link ConvTranspose2d} or its class name
 * contains `Conv` (the reference's test), and as a BatchNorm likewise. For a spectral-normed layer the
 * **`weight_orig`** parameter is drawn: in PyTorch 1.13 `m.weight.data` shares storage with `weight_orig` until
 * the first forward, so that is the tensor the reference initialises. Returns `module`.
 */
export function dcganInit<M extends Module>(module: M, random: Random = defaultRandom()): M {
  for (const [, m] of module.namedModules()) {
    const name = m.constructor.name;
    if (m instanceof ConditionalBatchNorm2d) {
      normal_(m.gammaEmbed.getParameter("weight"), 1, 0.02, random);
      constant_(m.betaEmbed.getParameter("weight"), 0);
    } else if (m instanceof ProjectionHead) {
      normal_(m.getParameter(m.hasParameter("weight_orig") ? "weight_orig" : "weight"), 0, 0.02, random);
    } else if (m instanceof Conv2d || m instanceof ConvTranspose2d || name.includes("Conv")) {
      const weight = m.hasParameter("weight_orig") ? "weight_orig" : "weight";
      if (m.hasParameter(weight)) normal_(m.getParameter(weight), 0, 0.02, random);
      if (m.hasParameter("bias")) constant_(m.getParameter("bias"), 0);
    } else if (m instanceof BatchNorm2d || name.includes("BatchNorm")) {
      if (m.hasParameter("weight")) normal_(m.getParameter("weight"), 1, 0.02, random);
      if (m.hasParameter("bias")) constant_(m.getParameter("bias"), 0);
    }
  }
  return module;
}
