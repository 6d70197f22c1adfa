import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/**
 * `relu(x)` whose backward pass keeps the output instead of the input: `y > 0` exactly where `x > 0`, so tfjs's
 * gradient `dy · step(·)` gives the same bits, and the input (a BatchNorm's output) need not outlive the forward
 * pass, as with PyTorch's in-place ReLU: one full-size activation less per block while training.
 */
const reluKeepingOutput = tf.customGrad((x, save) => {
  const y = tf.relu(x as tf.Tensor);
  (save as (tensors: tf.Tensor[]) => void)([y]);
  return { value: y, gradFunc: (dy, [saved]) => tf.mul(dy as tf.Tensor, tf.step(saved)) };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * `leakyRelu(x, alpha)` for `alpha ≥ 0` whose backward pass keeps the output instead of the input (the sign is
 * the same), running the gradient registered for tfjs's `LeakyRelu` (`@gan/backend`'s fused kernel on wasm) on it.
 */
function leakyReluKeepingOutput(alpha: number): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((input, save) => {
    const y = tf.leakyRelu(input as tf.Tensor, alpha);
    (save as (tensors: tf.Tensor[]) => void)([y]);
    return {
      value: y,
      gradFunc: (dy, [saved]) => {
        const config = tf.getGradient("LeakyRelu");
        if (config == null) return tf.where(tf.greater(saved, 0), dy as tf.Tensor, tf.mul(dy as tf.Tensor, alpha));
        return (config.gradFunc(dy, [saved], { alpha }) as Record<string, () => tf.Tensor>).x();
      },
    };
  }) as (x: tf.Tensor) => tf.Tensor;
}

/** `max(0, x)`, as `torch.nn.ReLU`. Has no parameters. */
export class ReLU extends Module {
  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    return (x.dtype === "float32" ? reluKeepingOutput(x) : tf.relu(x)) as T;
  }
}

/** `x` for `x ≥ 0`, `negativeSlope · x` otherwise, as `torch.nn.LeakyReLU` (default slope 0.01). */
export class LeakyReLU extends Module {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;
  private readonly keepingOutput: ((x: tf.Tensor) => tf.Tensor) | undefined;

  constructor(negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU negativeSlope must be a finite number, got ${negativeSlope}`);
    this.negativeSlope = negativeSlope;
    this.keepingOutput = negativeSlope >= 0 ? leakyReluKeepingOutput(negativeSlope) : undefined;
  }

  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    if (x.dtype !== "float32" || this.keepingOutput === undefined) return tf.leakyRelu(x, this.negativeSlope);
    return this.keepingOutput(x) as T;
  }
}

/** The hyperbolic tangent, as `torch.nn.Tanh`. */
export class Tanh extends Module {
  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    return tf.tanh(x);
  }
}
