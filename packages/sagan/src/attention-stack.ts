import type * as tf from "@tensorflow/tfjs-core";
import type { AttentionModule } from "./config";

/**
 * Applies the attention block that follows layer `layer`, if any, collecting its map into `maps`; otherwise
 * returns `x` unchanged. Shared by the generator and the discriminator.
 */
export function attendAfter(
  blocks: ReadonlyMap<number, AttentionModule>,
  layer: number,
  x: tf.Tensor4D,
  maps: tf.Tensor3D[],
): tf.Tensor4D {
  const block = blocks.get(layer);
  if (!block) return x;
  const { output, attention } = block.forward(x);
  if (attention) maps.push(attention);
  return output;
}
