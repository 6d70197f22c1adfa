import * as tf from "@tensorflow/tfjs-core";
import { type Size2, checkChannels, checkInput, pair } from "./conv2d";
import { type Random, defaultRandom } from "./random";
import { WeightedModule } from "./weighted-module";

/** Options of {@link ConvTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Stride (default 1). */
  stride?: Size2;
  /** Implicit zero padding of the equivalent convolution: removes `padding` rows/columns from each side (default 0). */
  padding?: Size2;
  /** Extra rows/columns added to the bottom/right of the output; must be smaller than the stride (default 0). */
  outputPadding?: Size2;
  /** Whether to learn an additive bias (default true). */
  bias?: boolean;
  /** Source of the initial weights (default: the library-wide {@link defaultRandom}). */
  random?: Random;
}

/**
 * A 2-D transposed convolution with PyTorch's semantics (`torch.nn.ConvTranspose2d`): weight
 * `[in, out, kH, kW]`, optional bias `[out]`, output size `(H − 1)·stride − 2·padding + kH + outputPadding`.
 * Input and output are NHWC.
 *
 * Initialised as PyTorch does: weight and bias drawn from `U(±1/√fan_in)` where, as in PyTorch, `fan_in` is
 * computed from the weight's dimension 1 (`out · kH · kW`).
 */
export class ConvTranspose2d extends WeightedModule {
  /** Output channels are dimension 1 of the weight. */
  readonly outputDim = 1;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: [number, number];
  /** `[sH, sW]`. */
  readonly stride: [number, number];
  /** `[pH, pW]`, added (Conv2d) or removed (ConvTranspose2d) on each side. */
  readonly padding: [number, number];
  /** `[opH, opW]`, added at the bottom and right of the output. */
  readonly outputPadding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: ConvTranspose2dOptions = {}) {
    super();
    checkChannels(inChannels, outChannels, "ConvTranspose2d");
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, "ConvTranspose2d kernelSize", 1);
    this.stride = pair(options.stride ?? 1, "ConvTranspose2d stride", 1);
    this.padding = pair(options.padding ?? 0, "ConvTranspose2d padding", 0);
    this.outputPadding = pair(options.outputPadding ?? 0, "ConvTranspose2d outputPadding", 0);
    if (this.outputPadding.some((p, i) => p >= this.stride[i])) {
      throw new Error(
        `ConvTranspose2d outputPadding must be smaller than stride, got outputPadding [${this.outputPadding}] with stride [${this.stride}]`,
      );
    }
    const random = options.random ?? defaultRandom();
    const [kH, kW] = this.kernelSize;
    const bound = 1 / Math.sqrt(outChannels * kH * kW);
    this.registerParameter("weight", random.uniform([inChannels, outChannels, kH, kW], -bound, bound));
    if (options.bias ?? true) this.registerParameter("bias", random.uniform([outChannels], -bound, bound));
  }

  /** The spatial output size for an input of `height × width`. */
  outputSize(height: number, width: number): [number, number] {
    const size = (n: number, i: 0 | 1) =>
      (n - 1) * this.stride[i] - 2 * this.padding[i] + this.kernelSize[i] + this.outputPadding[i];
    return [size(height, 0), size(width, 1)];
  }

  /** Upsamples `x` `[B, H, W, in]` to `[B, H', W', out]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    checkInput(x, this.inChannels, "ConvTranspose2d");
    const [B, H, W] = x.shape;
    const [outH, outW] = this.outputSize(H, W);
    if (outH < 1 || outW < 1) {
      throw new Error(`ConvTranspose2d: input [${x.shape}] gives an empty output (${outH}×${outW}); padding is too large`);
    }
    return tf.tidy(() => {
      // PyTorch [in, out, kH, kW] → tfjs conv2dTranspose filter [kH, kW, out, in].
      const filter = tf.transpose(this.weight(), [2, 3, 1, 0]) as tf.Tensor4D;
      const [pH, pW] = this.padding;
      // The input gradient of a convolution over an outH×outW image, which is how PyTorch defines it too
      // (outputPadding only picks the larger of the sizes that convolution maps to H×W).
      const y = tf.conv2dTranspose(x, filter, [B, outH, outW, this.outChannels], this.stride, [
        [0, 0],
        [pH, pH],
        [pW, pW],
        [0, 0],
      ]);
      return this.hasParameter("bias") ? tf.add(y, this.getParameter("bias")) : y;
    });
  }
}
