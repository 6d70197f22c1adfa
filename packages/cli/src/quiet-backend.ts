import { selectBackend } from "@gan/backend/node";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Selects the cpu backend, without notices, unless a backend was already chosen: for commands that only move weights
 * between files (`import-torch`, `export-torch`), where speed does not matter. tfjs's cpu backend advises installing
 * tfjs-node on its first tensor in Node; that first tensor is made here with the advice muted (tfjs-core's warnings
 * are silent while the `IS_TEST` flag is set), so the commands print only their own lines.
 */
export async function ensureQuietBackend(): Promise<void> {
  if (tf.engine().backendName) return;
  const quiet = () => {};
  await selectBackend("cpu", { log: quiet, warn: quiet });
  const env = tf.env();
  const before = env.getBool("IS_TEST");
  env.set("IS_TEST", true);
  try {
    tf.tensor([0]).dispose();
  } finally {
    env.set("IS_TEST", before);
  }
}
