import type * as tf from "@tensorflow/tfjs-core";

/** Throws unless `logits` is a non-empty float32 tensor; `where` and `what` name the call and argument. */
export function checkLogits(logits: tf.Tensor, where: string, what: string): void {
  if (logits == null || typeof logits !== "object" || !("shape" in logits)) {
    throw new Error(`${where}: ${what} must be a tf.Tensor of logits (shape [B]), got ${String(logits)}`);
  }
  if (logits.dtype !== "float32") {
    throw new Error(`${where}: ${what} must be float32 logits, got dtype ${logits.dtype}`);
  }
  if (logits.size === 0) {
    throw new Error(`${where}: ${what} is empty (shape [${logits.shape}]); expected at least one logit`);
  }
}
