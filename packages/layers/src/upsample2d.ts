import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";

/**
 * Bilinear upsampling of `[B, H, W, C]` by an integer factor, as `torch.nn.Upsample(scale_factor, mode="bilinear",
 * align_corners=False)`: pixel centres are aligned (half-pixel), the edges clamped. Has no parameters.
 *
 * Each axis is one matrix product with the `[n·s, n]` interpolation matrix (two non-zeros per row), so the
 * gradient is a matrix product too: fast on every backend, where `tf.image.resizeBilinear`'s gradient swaps
 * height and width on the CPU backend when they differ, and slices and stacks are slow on WebAssembly.
 */
export class Upsample2d extends Module {
  /** How many output pixels each input pixel becomes along each side. */
  readonly scaleFactor: number;

  constructor(scaleFactor = 2) {
    super();
    if (!Number.isInteger(scaleFactor) || scaleFactor < 1) {
      throw new Error(`Upsample2d scaleFactor must be a positive integer, got ${scaleFactor}`);
    }
    this.scaleFactor = scaleFactor;
  }

  /** Upsamples `x` `[B, H, W, C]` to `[B, H·s, W·s, C]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.rank !== 4) throw new Error(`Upsample2d expects input [B, H, W, C], got [${x.shape}]`);
    const s = this.scaleFactor;
    if (s === 1) return tf.clone(x);
    const [b, h, w, c] = x.shape;
    return tf.tidy(() => {
      // [B, H, W, C] → [B·C·H, W] · Wᵀ → [B, C, H, 2W] → [B·C·2W, H] · Hᵀ → [B, C, 2W, 2H] → [B, 2H, 2W, C].
      const rows = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c * h, w]);
      const wide = tf.matMul(rows, interpolation(w, s), false, true);
      const cols = tf.reshape(tf.transpose(tf.reshape(wide, [b * c, h, w * s]), [0, 2, 1]), [b * c * w * s, h]);
      const tall = tf.matMul(cols, interpolation(h, s), false, true);
      return tf.transpose(tf.reshape(tall, [b, c, w * s, h * s]), [0, 3, 2, 1]);
    });
  }
}

const matrices = new Map<string, Float32Array>();

/**
 * The `[n·s, n]` matrix of 1-D bilinear upsampling: output `j·s + p` samples the input at `j + d`,
 * `d = (p + ½)/s − ½`, mixing pixel `j` with its neighbour on the side of `d` (the edge pixel itself past the border).
 */
function interpolation(n: number, s: number): tf.Tensor2D {
  const key = `${n}x${s}`;
  let m = matrices.get(key);
  if (!m) {
    m = new Float32Array(n * s * n);
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < s; p++) {
        const d = (p + 0.5) / s - 0.5;
        const neighbour = Math.min(n - 1, Math.max(0, d < 0 ? j - 1 : j + 1));
        const row = (j * s + p) * n;
        m[row + j] += 1 - Math.abs(d);
        m[row + neighbour] += Math.abs(d);
      }
    }
    matrices.set(key, m);
  }
  return tf.tensor2d(m, [n * s, n]);
}
