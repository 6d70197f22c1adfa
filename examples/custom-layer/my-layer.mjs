// A user's own attention block and loss, plugged into SAGAN without forking it.
//
// PooledSelfAttention is the attention of the original SAGAN code (Zhang et al., 2019): keys and values are
// max-pooled 2×2, so each of the N positions attends over N/4 pooled ones — 4× less work than the reference's
// N×N map. leastSquaresLoss is LSGAN's objective (Mao et al., 2017).
//
// `gan train --plugin ./my-layer.mjs --attention pooled-attention` uses it from the command line: importing this
// file registers the layer by name.
import { Conv2d, Module, registerLayer } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";

/** Self-attention with 2×2 max-pooled keys and values. Same slot contract as SelfAttention2d. */
export class PooledSelfAttention extends Module {
  /**
   * @param {number} channels input channels
   * @param {{ random?: import("@gan/layers").Random }} [options]
   */
  constructor(channels, options = {}) {
    super();
    const random = options.random;
    const inner = Math.max(1, Math.floor(channels / 8));
    const half = Math.max(1, Math.floor(channels / 2));
    this.theta = this.registerModule("theta", new Conv2d(channels, inner, 1, { bias: false, random }));
    this.phi = this.registerModule("phi", new Conv2d(channels, inner, 1, { bias: false, random }));
    this.g = this.registerModule("g", new Conv2d(channels, half, 1, { bias: false, random }));
    this.o = this.registerModule("o", new Conv2d(half, channels, 1, { bias: false, random }));
    this.gamma = this.registerParameter("gamma", tf.zeros([1]));
  }

  /**
   * @param {tf.Tensor4D} x features [B, H, W, C] with even H and W
   * @returns {{ output: tf.Tensor4D }}
   */
  forward(x) {
    const [b, h, w] = x.shape;
    if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`PooledSelfAttention: H and W must be even, got ${h}×${w}`);
    const output = tf.tidy(() => {
      const n = h * w;
      const m = n / 4;
      const theta = tf.reshape(this.theta.forward(x), [b, n, -1]);
      const phi = tf.reshape(tf.maxPool(this.phi.forward(x), 2, 2, "valid"), [b, m, -1]);
      const attention = tf.softmax(tf.matMul(theta, phi, false, true)); // [B, N, N/4], rows sum to 1
      const g = tf.reshape(tf.maxPool(this.g.forward(x), 2, 2, "valid"), [b, m, -1]);
      const o = this.o.forward(tf.reshape(tf.matMul(attention, g), [b, h, w, -1]));
      return tf.add(x, tf.mul(this.gamma, o));
    });
    return { output };
  }
}

/** LSGAN: D pulls real scores to 1 and fake ones to 0, G pulls fake scores to 1 (all halved squared errors). */
export function leastSquaresLoss() {
  return {
    name: "least-squares",
    /** @param {tf.Tensor} real @param {tf.Tensor} fake */
    discriminatorLoss: (real, fake) =>
      tf.tidy(() => tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, 1))), tf.mean(tf.square(fake))))),
    /** @param {tf.Tensor} fake */
    generatorLoss: (fake) => tf.tidy(() => tf.mul(0.5, tf.mean(tf.square(tf.sub(fake, 1))))),
  };
}

registerLayer("pooled-attention", (channels, random) => new PooledSelfAttention(channels, { random }), { override: true });
