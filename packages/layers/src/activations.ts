import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** `max(0, x)`, as `torch.nn.ReLU`. Has no parameters. */
export class ReLU extends Module {
  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    return tf.relu(x);
  }
}

/** `x` for `x ≥ 0`, `negativeSlope · x` otherwise, as `torch.nn.LeakyReLU` (default slope 0.01). */
export class LeakyReLU extends Module {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU negativeSlope must be a finite number, got ${negativeSlope}`);
    this.negativeSlope = negativeSlope;
  }

  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    return tf.leakyRelu(x, this.negativeSlope);
  }
}

/** The hyperbolic tangent, as `torch.nn.Tanh`. */
export class Tanh extends Module {
  /** Applies the activation elementwise. */
  forward<T extends tf.Tensor>(x: T): T {
    return tf.tanh(x);
  }
}
