import * as tf from "@tensorflow/tfjs-core";
import { type Random, defaultRandom } from "./random";
import type { WeightedModule } from "./weighted-module";

/** Options of {@link spectralNorm}. */
export interface SpectralNormOptions {
  /** Power-iteration steps per training forward (default 1, as PyTorch). */
  nPowerIterations?: number;
  /** Lower bound of the norms the vectors are divided by (default 1e-12, as PyTorch). */
  eps?: number;
  /** The weight dimension that indexes outputs (default: the layer's `outputDim`; 1 for `ConvTranspose2d`). */
  dim?: number;
  /** Source of the initial `u` and `v` (default: the library-wide {@link defaultRandom}). */
  random?: Random;
}

/**
 * Spectral normalisation of `layer`'s weight, with the semantics of PyTorch 1.13's
 * `torch.nn.utils.spectral_norm`; returns the same layer.
 *
 * The parameter `weight` becomes `weight_orig`, and buffers `weight_u` (length `weight.shape[dim]`) and
 * `weight_v` (the other dimensions' product) are added, both `normalize(N(0, 1))`. The layer then uses
 * `weight_orig / σ`, with `W` = `weight_orig` with `dim` moved first and reshaped to a matrix and σ = `uᵀWv`:
 * - in training mode each forward first runs `nPowerIterations` of `v = normalize(Wᵀu)`, `u = normalize(Wv)`
 *   (`normalize(x) = x / max(‖x‖, eps)`) and stores `u` and `v`;
 * - in evaluation mode σ comes from the stored `u` and `v`.
 *
 * The iteration runs on each call of the layer's `weight()` in training mode, which layers make once per
 * forward; read the normalised weight in evaluation mode to leave `u` and `v` alone.
 *
 * `u` and `v` are constants for differentiation: gradients flow into `weight_orig` only through `W` in σ and
 * through `weight_orig / σ`. Each forward uses the `u` and `v` current at that forward, so a loss spanning two
 * forwards (e.g. `D(real)` and `D(fake)`) is differentiated as in PyTorch.
 */
export function spectralNorm<L extends WeightedModule>(layer: L, options: SpectralNormOptions = {}): L {
  const where = `spectralNorm(${layer.constructor.name})`;
  const nPowerIterations = options.nPowerIterations ?? 1;
  const eps = options.eps ?? 1e-12;
  if (!Number.isInteger(nPowerIterations) || nPowerIterations < 1) {
    throw new Error(`${where}: option 'nPowerIterations' must be a positive integer, got ${nPowerIterations}`);
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new Error(`${where}: option 'eps' must be a finite number ≥ 0, got ${eps}`);
  }
  if (layer.weightParametrization || layer.hasParameter("weight_orig")) {
    throw new Error(`${where}: the layer's weight is already parametrized (spectral norm applied twice?)`);
  }
  if (!layer.hasParameter("weight")) throw new Error(`${where}: the layer has no parameter 'weight'`);
  const shape = layer.getParameter("weight").shape;
  const dim = options.dim ?? layer.outputDim;
  if (!Number.isInteger(dim) || dim < 0 || dim >= shape.length) {
    throw new Error(`${where}: option 'dim' must be an integer in [0, ${shape.length}) for weight [${shape}], got ${dim}`);
  }

  const height = shape[dim];
  const width = shape.reduce((a, b) => a * b, 1) / height;
  const perm = [dim, ...shape.map((_, i) => i).filter((i) => i !== dim)];
  const toMatrix = (w: tf.Tensor): tf.Tensor2D =>
    tf.reshape(dim === 0 ? w : tf.transpose(w, perm), [height, width]) as tf.Tensor2D;

  const random = options.random ?? defaultRandom();
  const u0 = tf.tidy(() => normalize(random.normal([height]), eps));
  const v0 = tf.tidy(() => normalize(random.normal([width]), eps));
  layer.registerParameter("weight_orig", layer.removeParameter("weight"));
  const u = layer.registerBuffer("weight_u", u0);
  const v = layer.registerBuffer("weight_v", v0);

  layer.weightParametrization = () =>
    tf.tidy(() => {
      const weightOrig = layer.getParameter("weight_orig");
      if (layer.training) {
        tf.tidy(() => {
          // Inside a gradient tape these ops are recorded, but their results only reach σ through the
          // buffers, whose ids are not theirs: no gradient flows through u and v, as under torch.no_grad().
          const m = toMatrix(weightOrig);
          let uk: tf.Tensor = u;
          let vk: tf.Tensor = v;
          for (let i = 0; i < nPowerIterations; i++) {
            vk = normalize(tf.reshape(tf.matMul(m, tf.reshape(uk, [height, 1]), true, false), [width]), eps);
            uk = normalize(tf.reshape(tf.matMul(m, tf.reshape(vk, [width, 1])), [height]), eps);
          }
          v.assign(vk);
          u.assign(uk);
        });
      }
      // This forward's u and v, pinned: a later forward may reassign the buffers before backprop runs (tfjs's
      // tape snapshots op inputs too; the clones keep that from being load-bearing, at no copying cost).
      const uNow = tf.reshape(tf.clone(u), [1, height]);
      const vNow = tf.reshape(tf.clone(v), [width, 1]);
      const sigma = tf.reshape(tf.matMul(uNow, tf.matMul(toMatrix(weightOrig), vNow)), []);
      return tf.div(weightOrig, sigma);
    });
  return layer;
}

/** `x / max(‖x‖₂, eps)`, as `torch.nn.functional.normalize(x, dim=0, eps=eps)` for a vector. */
function normalize(x: tf.Tensor, eps: number): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), eps));
}
