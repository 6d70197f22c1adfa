/**
 * The contracts of the GAN toolkit. This package holds types only: implement them to plug your own losses,
 * models, attention layers or training callbacks into the other `@gan/*` packages.
 *
 * @packageDocumentation
 */
import type * as tf from "@tensorflow/tfjs-core";

/** A GAN objective. All tensors are logits of shape `[B]`; losses are scalars (means over the batch). */
export interface GanLoss {
  /** A short name, recorded in run configs (`"bce"`, `"hinge"`, ...). */
  readonly name: string;
  /** The discriminator's loss on real and generated samples. */
  discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  /** The generator's loss on generated samples. */
  generatorLoss(fakeLogits: tf.Tensor): tf.Scalar;
  /**
   * What the loss carries from one step to the next (LeCam's moving averages), as JSON-friendly data that a
   * trainer stores in its checkpoints; absent for stateless losses.
   */
  getState?(): unknown;
  /** Restores {@link GanLoss.getState}'s result (on resuming from a checkpoint). */
  setState?(state: unknown): void;
}

/** What a generator returns. */
export interface GeneratorOutput {
  /** Images `[B, H, W, C]` in [-1, 1]. */
  images: tf.Tensor4D;
  /** Attention maps `[B, N, N]` of each attention layer (empty for models without attention). */
  attentionMaps: tf.Tensor3D[];
}

/** What a discriminator returns. */
export interface DiscriminatorOutput {
  /** One logit per sample, `[B]`. */
  logits: tf.Tensor1D;
  /** Attention maps `[B, N, N]` of each attention layer (empty for models without attention). */
  attentionMaps: tf.Tensor3D[];
}

/** The part of a module a trainer relies on (the `Module` class of `@gan/layers` implements it). */
export interface TrainableModule {
  /** Training mode flag. */
  training: boolean;
  /** Trainable variables, in a stable order. */
  parameters(): tf.Variable[];
  /** Parameters and buffers by PyTorch-style dotted name. */
  stateDict(): Record<string, tf.Tensor>;
  /**
   * Loads a state dict produced by {@link TrainableModule.stateDict}. `strict` (default true): every name must
   * match; `finite` (default true): NaN and ±Inf values are refused.
   */
  loadStateDict(state: Record<string, tf.Tensor>, options?: { strict?: boolean; finite?: boolean }): void;
  /** Sets training mode. */
  train(mode?: boolean): this;
  /** Sets evaluation mode. */
  eval(): this;
  /** Frees every variable. */
  dispose(): void;
}

/**
 * Options of a model's or an attention layer's `forward`. Every field is optional; implementations that have
 * nothing to switch ignore them.
 */
export interface ForwardOptions {
  /**
   * Whether the attention maps are wanted (default `true`). With `false` a model returns `attentionMaps: []`
   * and an attention layer returns no `attention`, so it may compute its output without materialising the
   * `[B, N, N]` map (`SelfAttention2d` of `@gan/layers` then runs a backend's fused attention kernel where there
   * is one). Outputs and gradients are the same either way. Training steps pass `false`; sample grids and
   * attention figures leave the default.
   */
  attentionMaps?: boolean;
  /**
   * Class labels, int32 `[B]` with values in [0, numClasses): the class of each latent code a class-conditional
   * generator draws, or of each image a class-conditional discriminator scores. A conditional model
   * (`numClasses` set) throws when they are missing, mis-shaped or out of range; an unconditional model and
   * an attention layer ignore them.
   */
  labels?: tf.Tensor1D;
}

/** A generator: latent codes `[B, zDim]` to images. */
export interface GanGenerator extends TrainableModule {
  /** Length of the latent code. */
  readonly zDim: number;
  /**
   * Number of classes of a class-conditional generator, whose `forward` then needs `options.labels`; undefined
   * (or absent, for generators written before conditional models) when it is unconditional.
   */
  readonly numClasses?: number;
  /**
   * Generates images from latent codes `[B, zDim]` (or `[B, 1, 1, zDim]`), with attention maps unless `options`
   * say not; a conditional generator draws image `i` of class `options.labels[i]`.
   */
  forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput;
}

/** A discriminator: images to one logit each. */
export interface GanDiscriminator extends TrainableModule {
  /**
   * Number of classes of a class-conditional discriminator, whose `forward` then needs `options.labels`;
   * undefined (or absent) when it is unconditional.
   */
  readonly numClasses?: number;
  /**
   * Scores images `[B, H, W, C]`, with attention maps unless `options` say not; a conditional discriminator
   * scores image `i` as a member of class `options.labels[i]`.
   */
  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput;
}

/** What an attention layer returns: the transformed features and the attention map. */
export interface AttentionOutput {
  /** Features with the input's shape `[B, H, W, C]`. */
  output: tf.Tensor4D;
  /**
   * `[B, N, N]` with `N = H·W`: row `j` holds output position `j`'s weights over input positions (each row
   * sums to 1), positions numbered row-major (`h·W + w`). Undefined for layers that have no such map, and
   * when the caller passed `{ attentionMaps: false }`.
   */
  attention?: tf.Tensor3D;
}

/**
 * A drop-in attention block for SAGAN's attention slots. The models call `forward(x, { attentionMaps })`:
 * with `attentionMaps: false` the block should leave `attention` out (it is dropped anyway), and may take a
 * faster path that never builds the map; a block that ignores the options stays correct.
 */
export interface AttentionLayer extends TrainableModule {
  /**
   * Attends over the positions of features `x` `[B, H, W, C]`; the output keeps the input's shape. Returns the
   * attention map unless `options.attentionMaps` is `false`.
   */
  forward(x: tf.Tensor4D, options?: ForwardOptions): AttentionOutput;
}

export { ADAM_UPDATE_KERNEL, FUSED_ATTENTION_KERNEL, FUSED_ATTENTION_GRAD_KERNEL } from "./kernels";
