import * as tf from "@tensorflow/tfjs-core";

/**
 * Runs `fn` while counting synchronous downloads (`dataSync()`), which GPU backends pay for dearly and WebGPU in
 * software cannot do at all; resolves with `fn`'s result and the count.
 */
export async function countSyncReads<T>(fn: (reads: () => number) => T | Promise<T>): Promise<{ result: T; reads: number }> {
  const dataSync = tf.Tensor.prototype.dataSync;
  let reads = 0;
  tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
    reads++;
    return dataSync.call(this);
  } as typeof dataSync;
  try {
    const result = await fn(() => reads);
    return { result, reads };
  } finally {
    tf.Tensor.prototype.dataSync = dataSync;
  }
}
