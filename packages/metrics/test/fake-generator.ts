import type { GanGenerator } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/**
 * A parameter-free "generator" for the metrics tests: `draw(z)` makes the images `[B, 64, 64, 1]` (inside a
 * tidy); train/eval only flip `training`.
 */
export function fakeGenerator(draw: (z: tf.Tensor) => tf.Tensor4D, zDim = 4): GanGenerator {
  return {
    zDim,
    training: true,
    parameters: () => [],
    stateDict: () => ({}),
    loadStateDict() {},
    train(mode = true) {
      this.training = mode;
      return this;
    },
    eval() {
      this.training = false;
      return this;
    },
    dispose() {},
    forward: (z) => ({ images: tf.tidy(() => draw(z)), attentionMaps: [] }),
  };
}

/** A blurry ramp per sample, steered by `z[0]`: the classifier rejects it. */
export function rampImages(z: tf.Tensor): tf.Tensor4D {
  const b = z.shape[0];
  const ramp = tf.reshape(tf.linspace(-1, 1, 64), [1, 64, 1, 1]);
  return tf.tanh(tf.add(tf.mul(ramp, tf.reshape(tf.slice(z, [0, 0], [b, 1]), [b, 1, 1, 1])), tf.zeros([b, 64, 64, 1]))) as tf.Tensor4D;
}
