import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/** A module that maps one NHWC tensor to another: what {@link Sequential} chains. */
export interface Layer4D extends Module {
  forward(x: tf.Tensor4D): tf.Tensor4D;
}

/**
 * A {@link Layer4D} that also reads class labels (int32 `[B]`): `forward(x, labels)`, marked by `takesLabels`
 * (`ConditionalBatchNorm2d`, and {@link Sequential}, which passes labels on). A layer may throw when the labels it
 * needs are missing.
 */
export interface ConditionalLayer4D extends Layer4D {
  readonly takesLabels: true;
  forward(x: tf.Tensor4D, labels?: tf.Tensor1D): tf.Tensor4D;
}

/** Whether `layer` reads class labels beside its input ({@link ConditionalLayer4D}). */
export function takesLabels(layer: Module): layer is ConditionalLayer4D {
  return (layer as { takesLabels?: unknown }).takesLabels === true;
}

/**
 * Runs its modules one after another, as `torch.nn.Sequential`. The children are named `"0"`, `"1"`, ... so
 * their parameters appear as `0.weight`, `1.running_mean`, ... exactly as in PyTorch. `forward(x, labels)` also
 * hands class labels to the modules that take them ({@link takesLabels}: `ConditionalBatchNorm2d`, nested
 * Sequentials); the others see `x` only.
 */
export class Sequential extends Module implements ConditionalLayer4D {
  /** Passes labels on to the modules that take them. */
  readonly takesLabels = true as const;
  private readonly layers: Layer4D[] = [];

  constructor(...modules: Layer4D[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds `module` at the end (named by its index); returns `this`. */
  append(module: Layer4D): this {
    this.registerModule(String(this.layers.length), module);
    this.layers.push(module);
    return this;
  }

  /** The number of modules. */
  get length(): number {
    return this.layers.length;
  }

  /** The module at `index` (negative counts from the end, like Python). */
  get(index: number): Layer4D {
    const m = this.layers[index < 0 ? this.layers.length + index : index];
    if (!m) throw new Error(`Sequential index ${index} is out of range for ${this.layers.length} modules`);
    return m;
  }

  /**
   * Feeds `x` through every module in order, and `labels` (when given) to those that {@link takesLabels};
   * intermediate tensors are freed.
   */
  forward(x: tf.Tensor4D, labels?: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => this.layers.reduce((h, layer) => (takesLabels(layer) ? layer.forward(h, labels) : layer.forward(h)), x));
  }
}
