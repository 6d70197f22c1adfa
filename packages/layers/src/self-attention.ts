import { type AttentionLayer, FUSED_ATTENTION_GRAD_KERNEL, FUSED_ATTENTION_KERNEL, type ForwardOptions } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { Conv2d, checkInput } from "./conv2d";
import { Module } from "./module";
import { type Random, defaultRandom } from "./random";

/** Options of {@link SelfAttention2d}. */
export interface SelfAttention2dOptions {
  /** Source of the 1×1 convolutions' initial weights (default: the library-wide {@link defaultRandom}). */
  random?: Random;
}

/** What {@link SelfAttention2d.forward} returns. */
export interface SelfAttention2dOutput {
  /** `x + γ·o`, shaped like the input `[B, H, W, C]`. */
  output: tf.Tensor4D;
  /**
   * `[B, N, N]`, `N = H·W`: row `j` holds output position `j`'s softmax weights over input positions.
   * Absent when `forward` was called with `{ attentionMaps: false }`.
   */
  attention?: tf.Tensor3D;
}

// The fused attention kernels (`@gan/spec` holds their names, which `@gan/backend` registers for wasm):
// `out[b] = softmax(key[b]·query[b]ᵀ)·value[b]` for `{ query, key, value }` (`[B, N, d]`, `[B, N, d]`, `[B, N, c]`)
// without materialising the `[B, N, N]` map, and its gradient (`{ query, key, value, dy }` → `[dQuery, dKey, dValue]`).
// SelfAttention2d runs them whenever no map is wanted and the backend has both. Re-exported for older imports.
export { FUSED_ATTENTION_GRAD_KERNEL, FUSED_ATTENTION_KERNEL };

/** Whether the active backend has both fused attention kernels. */
function fusedAttentionAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(FUSED_ATTENTION_KERNEL, backend) != null && tf.getKernel(FUSED_ATTENTION_GRAD_KERNEL, backend) != null;
}

/** `softmax(key·queryᵀ)·value` through the fused kernels; the gradient recomputes the attention. */
const fusedAttention = tf.customGrad(((query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([query, key, value]);
  const out = tf.engine().runKernel(FUSED_ATTENTION_KERNEL, { query, key, value }) as tf.Tensor3D;
  return {
    value: out,
    gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [q, k, v] = saved;
      return tf.engine().runKernel(FUSED_ATTENTION_GRAD_KERNEL, { query: q, key: k, value: v, dy }) as tf.Tensor[];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D) => tf.Tensor3D;

/**
 * SAGAN's self-attention block, exactly as the reference `Self_Attention`: 1×1 convolutions `query_conv` and
 * `key_conv` to `max(1, ⌊C/8⌋)` channels and `value_conv` to `C` channels, and a learnt scale `gamma` `[1]`
 * starting at 0, so the block starts as the identity.
 *
 * With positions numbered `h·W + w`, queries `qᵢ`, keys `kⱼ` and values `vᵢ`:
 * `attention[j][i] = exp(qᵢ·kⱼ) / Σᵢ' exp(qᵢ'·kⱼ)` (the reference's softmax over dim −2 of `S = qᵀk`, then
 * transposed), `oⱼ = Σᵢ attention[j][i]·vᵢ` and `output = x + gamma·o`. The returned `attention` equals the
 * reference's `attention_map`. With `forward(x, { attentionMaps: false })` the map is left out (and, on a
 * backend with the {@link FUSED_ATTENTION_KERNEL}, never materialised); the output and its gradients are the
 * same.
 */
export class SelfAttention2d extends Module implements AttentionLayer {
  readonly inChannels: number;
  /** Channels of the queries and keys: `max(1, ⌊inChannels / 8⌋)`. */
  readonly keyChannels: number;
  /** 1×1 convolution to the queries (state-dict name `query_conv`). */
  readonly queryConv: Conv2d;
  /** 1×1 convolution to the keys (`key_conv`). */
  readonly keyConv: Conv2d;
  /** 1×1 convolution to the values (`value_conv`). */
  readonly valueConv: Conv2d;
  /** The scale of the attention's contribution, `[1]`, initially 0. */
  readonly gamma: tf.Variable;

  constructor(inChannels: number, options: SelfAttention2dOptions = {}) {
    super();
    if (!Number.isInteger(inChannels) || inChannels < 1) {
      throw new Error(`SelfAttention2d inChannels must be a positive integer, got ${inChannels}`);
    }
    this.inChannels = inChannels;
    this.keyChannels = Math.max(1, Math.floor(inChannels / 8));
    const random = options.random ?? defaultRandom();
    this.queryConv = this.registerModule("query_conv", new Conv2d(inChannels, this.keyChannels, 1, { random }));
    this.keyConv = this.registerModule("key_conv", new Conv2d(inChannels, this.keyChannels, 1, { random }));
    this.valueConv = this.registerModule("value_conv", new Conv2d(inChannels, inChannels, 1, { random }));
    this.gamma = this.registerParameter("gamma", tf.zeros([1]));
  }

  /**
   * Attends over the positions of `x` `[B, H, W, C]`; returns the output and the attention map, unless
   * `options.attentionMaps` is `false` (default `true`).
   */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): SelfAttention2dOutput {
    const wantMaps = options.attentionMaps ?? true;
    checkInput(x, this.inChannels, "SelfAttention2d");
    const [b, h, w, c] = x.shape;
    const n = h * w;
    return tf.tidy(() => {
      const query = tf.reshape(this.queryConv.forward(x), [b, n, this.keyChannels]);
      const key = tf.reshape(this.keyConv.forward(x), [b, n, this.keyChannels]);
      const value = tf.reshape(this.valueConv.forward(x), [b, n, c]) as tf.Tensor3D;
      if (!wantMaps) {
        const attended = fusedAttentionAvailable()
          ? fusedAttention(query as tf.Tensor3D, key as tf.Tensor3D, value)
          : tf.matMul(tf.softmax(tf.matMul(key, query, false, true)), value);
        const o = tf.reshape(attended, [b, h, w, c]);
        return { output: tf.add(x, tf.mul(this.gamma, o)) as tf.Tensor4D };
      }
      // scores[j][i] = kⱼ·qᵢ is the reference's S transposed, so a softmax over the last axis is its softmax
      // over dim −2, already transposed into attention_map.
      const attention = tf.softmax(tf.matMul(key, query, false, true)) as tf.Tensor3D;
      const o = tf.reshape(tf.matMul(attention, value), [b, h, w, c]);
      const output = tf.add(x, tf.mul(this.gamma, o)) as tf.Tensor4D;
      return { output, attention };
    });
  }
}
