import * as tf from "@tensorflow/tfjs-core";
import { type Random, defaultRandom } from "./random";
import { WeightedModule } from "./weighted-module";

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Stride (default 1). */
  stride?: Size2;
  /** Zero padding added on every side (default 0). */
  padding?: Size2;
  /** Whether to learn an additive bias (default true). */
  bias?: boolean;
  /** Source of the initial weights (default: the library-wide {@link defaultRandom}). */
  random?: Random;
}

/**
 * A 2-D convolution with PyTorch's semantics (`torch.nn.Conv2d`): weight `[out, in, kH, kW]`, optional bias
 * `[out]`, output size `floor((H + 2·padding − kH) / stride) + 1`. Input and output are NHWC.
 *
 * Initialised as PyTorch does (`kaiming_uniform_(a=√5)`): weight and bias drawn from `U(±1/√fan_in)` with
 * `fan_in = in · kH · kW`.
 */
export class Conv2d extends WeightedModule {
  /** Output channels are dimension 0 of the weight. */
  readonly outputDim = 0;
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

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: Conv2dOptions = {}) {
    super();
    checkChannels(inChannels, outChannels, "Conv2d");
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, "Conv2d kernelSize", 1);
    this.stride = pair(options.stride ?? 1, "Conv2d stride", 1);
    this.padding = pair(options.padding ?? 0, "Conv2d padding", 0);
    const random = options.random ?? defaultRandom();
    const [kH, kW] = this.kernelSize;
    const bound = 1 / Math.sqrt(inChannels * kH * kW);
    this.registerParameter("weight", random.uniform([outChannels, inChannels, kH, kW], -bound, bound));
    if (options.bias ?? true) this.registerParameter("bias", random.uniform([outChannels], -bound, bound));
  }

  /** Convolves `x` `[B, H, W, in]` to `[B, H', W', out]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    checkInput(x, this.inChannels, "Conv2d");
    return tf.tidy(() => {
      // PyTorch [out, in, kH, kW] → tfjs [kH, kW, in, out].
      const filter = tf.transpose(this.weight(), [2, 3, 1, 0]) as tf.Tensor4D;
      const [pH, pW] = this.padding;
      const y = tf.conv2d(x, filter, this.stride, [[0, 0], [pH, pH], [pW, pW], [0, 0]]);
      return this.hasParameter("bias") ? tf.add(y, this.getParameter("bias")) : y;
    });
  }
}

/** Throws unless both channel counts are positive integers. */
export function checkChannels(inChannels: number, outChannels: number, layer: string): void {
  for (const [name, v] of [["inChannels", inChannels], ["outChannels", outChannels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${layer} ${name} must be a positive integer, got ${v}`);
  }
}

/** Throws unless `x` is NHWC with `channels` channels. */
export function checkInput(x: tf.Tensor, channels: number, layer: string): void {
  if (x.rank !== 4 || x.shape[3] !== channels) {
    throw new Error(`${layer} expects input [B, H, W, ${channels}] (NHWC), got [${x.shape}]`);
  }
}

/** A size given as one number for both spatial dimensions or as `[height, width]`, as PyTorch accepts. */
export type Size2 = number | [number, number];

/** Expands a {@link Size2} to `[height, width]`, checking that both are integers ≥ `min`. */
export function pair(value: Size2, option: string, min: number): [number, number] {
  const p: [number, number] = typeof value === "number" ? [value, value] : value;
  if (p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(`${option} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return p;
}
