import type * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/**
 * A module with a `weight` that a parametrization (such as {@link spectralNorm}) may replace, the way PyTorch's
 * `spectral_norm` swaps `module.weight` for a computed tensor. Layers read their weight through
 * {@link WeightedModule.weight} inside `forward`, never the parameter directly.
 */
export abstract class WeightedModule extends Module {
  /**
   * The dimension of the PyTorch-layout weight that indexes output channels: 0 for `Conv2d`
   * (`[out, in, kH, kW]`), 1 for `ConvTranspose2d` (`[in, out, kH, kW]`). Spectral norm reshapes around it.
   */
  abstract readonly outputDim: number;

  /** When set, computes the weight each forward (e.g. `weight_orig / σ`); installed by parametrizations. */
  weightParametrization?: () => tf.Tensor;

  /** The weight `forward` uses: the parametrization's result when one is installed, else the `weight` parameter. */
  weight(): tf.Tensor {
    return this.weightParametrization ? this.weightParametrization() : this.getParameter("weight");
  }
}
