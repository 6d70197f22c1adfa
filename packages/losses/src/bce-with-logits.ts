import * as tf from "@tensorflow/tfjs-core";

// One fused op with its own gradient: σ(x) − y is exact everywhere (composing relu/abs gradients would give
// 0 instead of ½ at x = 0) and needs no registered gradient kernels.
const bceWithLogitsOp = tf.customGrad((x, y, save) => {
  const logits = x as tf.Tensor;
  const targets = y as tf.Tensor;
  (save as tf.GradSaveFunc)([logits, targets]);
  const value = tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [l, t] = saved;
      return [tf.mul(dy, tf.sub(tf.sigmoid(l), t)), tf.mul(dy, tf.neg(l))];
    },
  };
});

/**
 * Element-wise binary cross-entropy on logits, as PyTorch's `BCEWithLogitsLoss(reduction="none")`:
 * `max(x, 0) − x·y + log(1 + exp(−|x|))`, finite for any finite logit (±100 included). The gradient
 * w.r.t. the logits is `σ(x) − y`.
 *
 * @param logits - raw scores, any shape.
 * @param targets - probabilities in [0, 1]: a number or a tensor broadcastable to `logits`.
 * @returns the per-element losses, shaped like `logits`.
 */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const t = typeof targets === "number" ? tf.fill(logits.shape, targets) : tf.broadcastTo(targets, logits.shape);
    return bceWithLogitsOp(logits, t);
  });
}
