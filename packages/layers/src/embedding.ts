import * as tf from "@tensorflow/tfjs-core";
import { checkLabels } from "./model-inputs";
import { type Random, defaultRandom } from "./random";
import { WeightedModule } from "./weighted-module";

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** Source of the initial weights, N(0, 1) as PyTorch's (default: the library-wide {@link defaultRandom}). */
  random?: Random;
  /** A constant for every entry instead of the N(0, 1) draws (nothing is drawn from `random` then). */
  fill?: number;
}

/**
 * Rows `indices` of `table` `[K, D]` as `[B, D]`, by a product with the one-hot matrix of the indices rather than
 * a gather: the gradient w.r.t. the table is then a matrix product too, which every backend has (a gather's
 * gradient needs `UnsortedSegmentSum`, which the wasm backend lacks). Exact: each output is one table entry
 * times 1 plus zeros.
 */
export function lookupRows(table: tf.Tensor, indices: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.cast(tf.oneHot(indices, table.shape[0]), "float32"), table as tf.Tensor2D));
}

/**
 * A lookup table of `numEmbeddings` vectors of length `embeddingDim`, as `torch.nn.Embedding`: parameter `weight`
 * `[numEmbeddings, embeddingDim]` drawn from N(0, 1); `forward(indices)` returns the rows `[B, embeddingDim]` of
 * int32 indices `[B]` in [0, numEmbeddings), and an index out of range is an error. A {@link WeightedModule}
 * (`outputDim` 0, PyTorch's `dim` for an embedding), so {@link spectralNorm} applies to it as
 * `torch.nn.utils.spectral_norm(nn.Embedding(...))` does.
 */
export class Embedding extends WeightedModule {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly outputDim = 0;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [name, value] of [
      ["numEmbeddings", numEmbeddings],
      ["embeddingDim", embeddingDim],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`Embedding ${name} must be a positive integer, got ${value}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const shape = [numEmbeddings, embeddingDim];
    if (options.fill !== undefined && !Number.isFinite(options.fill)) throw new Error(`Embedding fill must be a finite number, got ${options.fill}`);
    this.registerParameter("weight", options.fill !== undefined ? tf.fill(shape, options.fill) : (options.random ?? defaultRandom()).normal(shape));
  }

  /** The rows `[B, embeddingDim]` of int32 `indices` `[B]`. */
  forward(indices: tf.Tensor1D): tf.Tensor2D {
    const where = "Embedding.forward";
    if (!(indices instanceof tf.Tensor) || indices.rank !== 1) {
      throw new Error(`${where}: indices must be an int32 tensor [B], got ${indices instanceof tf.Tensor ? `[${indices.shape}]` : typeof indices}`);
    }
    checkLabels(indices, indices.shape[0], this.numEmbeddings, where);
    return tf.tidy(() => lookupRows(this.weight(), indices));
  }
}
