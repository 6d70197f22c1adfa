import * as tf from "@tensorflow/tfjs-core";

/** Serializable state of a {@link Random}: restore it with {@link Random.setState}. */
export interface RandomState {
  seed: number;
  counter: number;
}

/**
 * A seeded, counter-based source of randomness. Every draw derives a fresh 32-bit seed from `(seed, counter)`
 * and hands it to tfjs's seeded samplers, so a stream of draws is reproducible and its whole state is two
 * integers (saved in checkpoints so a resumed run draws exactly what an unbroken one would).
 */
export class Random {
  private seed: number;
  private counter = 0;

  constructor(seed = 0) {
    this.seed = seed >>> 0;
  }

  /** The next derived 32-bit seed (splitmix32 of seed and counter). */
  nextSeed(): number {
    let z = (this.seed + Math.imul(0x9e3779b9, ++this.counter)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextSeed() / 2 ** 32;
  }

  /** Samples N(mean, std²). */
  normal(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.randomNormal(shape, mean, std, "float32", this.nextSeed());
  }

  /** Samples U[low, high). */
  uniform(shape: number[], low = 0, high = 1): tf.Tensor {
    return tf.randomUniform(shape, low, high, "float32", this.nextSeed());
  }

  /** A copy of the state. */
  getState(): RandomState {
    return { seed: this.seed, counter: this.counter };
  }

  /** Restores a state from {@link Random.getState}. */
  setState(state: RandomState): void {
    this.seed = state.seed >>> 0;
    this.counter = state.counter;
  }
}

let globalRandom = new Random(0);

/** The library-wide default {@link Random}, used when a layer is built without one. */
export function defaultRandom(): Random {
  return globalRandom;
}

/** Re-seeds the library-wide default {@link Random} (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  globalRandom = new Random(seed);
}
