import * as tf from "@tensorflow/tfjs-core";
import type { NonFiniteTensor } from "../errors";

/**
 * The tensors of `files` (checkpoint file name → tensors by name) that hold NaN or ±Infinity, with how many, in
 * file order. Integer tensors are skipped. One reduction per tensor and a single read back of all the counts.
 */
export async function findNonFinite(files: Record<string, Record<string, tf.Tensor>>): Promise<NonFiniteTensor[]> {
  const checked: Array<{ file: string; tensor: string }> = [];
  const counts = tf.tidy(() => {
    const perTensor: tf.Scalar[] = [];
    for (const [file, tensors] of Object.entries(files)) {
      for (const [tensor, t] of Object.entries(tensors)) {
        if (t.dtype !== "float32") continue;
        checked.push({ file, tensor });
        perTensor.push(tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), "int32")));
      }
    }
    return perTensor.length > 0 ? tf.stack(perTensor) : undefined;
  });
  if (!counts) return [];
  const values = await counts.data();
  counts.dispose();
  return checked.map((where, i) => ({ ...where, count: values[i] })).filter((t) => t.count > 0);
}
