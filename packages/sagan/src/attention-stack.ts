import type { Conv2d, ProjectionHead } from "@gan/layers";
import type { ForwardOptions } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { AttentionModule } from "./config";

/**
 * Runs an attention block on `x`, asking for its map only when `wantMaps`, and collects the map into `maps`
 * (a block that returns one anyway is not collected). Shared by the generators and the discriminators.
 */
export function attend(block: AttentionModule, x: tf.Tensor4D, wantMaps: boolean, maps: tf.Tensor3D[]): tf.Tensor4D {
  const { output, attention } = block.forward(x, { attentionMaps: wantMaps });
  if (wantMaps && attention) maps.push(attention);
  return output;
}

/** Applies the attention block that follows layer `layer`, if any (see {@link attend}); otherwise returns `x`. */
export function attendAfter(
  blocks: ReadonlyMap<number, AttentionModule>,
  layer: number,
  x: tf.Tensor4D,
  wantMaps: boolean,
  maps: tf.Tensor3D[],
): tf.Tensor4D {
  const block = blocks.get(layer);
  return block ? attend(block, x, wantMaps, maps) : x;
}

/** Whether `options` ask for attention maps (default: yes), naming `where` when they are malformed. */
export function wantsMaps(options: ForwardOptions | undefined, where: string): boolean {
  const wanted = options?.attentionMaps ?? true;
  if (typeof wanted !== "boolean") throw new Error(`${where}: option 'attentionMaps' must be a boolean, got ${JSON.stringify(wanted)}`);
  return wanted;
}

/**
 * A discriminator's logits `[B]` from the 4×4 map `h` its last convolution reads: `last(h)`, plus the projection
 * term `⟨embed(labels), h⟩` when the discriminator is conditional (`embed` given; `labels` checked by the caller).
 * `lastInput` is what `last` reads when it is not `h` itself (`h` with the minibatch standard deviation channel).
 */
export function projectedLogits(
  last: Conv2d,
  embed: ProjectionHead | undefined,
  h: tf.Tensor4D,
  labels: tf.Tensor1D | undefined,
  lastInput: tf.Tensor4D = h,
): tf.Tensor1D {
  const logits = tf.reshape(last.forward(lastInput), [h.shape[0]]) as tf.Tensor1D;
  return embed ? (tf.add(logits, embed.forward(h, labels)) as tf.Tensor1D) : logits;
}
