/**
 * Tiny models and data for the trainer's tests (not part of the public API): a DCGAN-shaped generator
 * (8×8 images, with an optional fake attention map) and discriminator built from `@gan/layers`.
 */
import {
  BatchNorm2d,
  ConditionalBatchNorm2d,
  ProjectionHead,
  Conv2d,
  ConvTranspose2d,
  LeakyReLU,
  Module,
  Random,
  ReLU,
  Sequential,
  Tanh,
} from "@gan/layers";
import type { DiscriminatorOutput, ForwardOptions, GanDiscriminator, GanGenerator, GanLoss, GeneratorOutput } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import type { DataSource } from "./data-source";

/**
 * z [B, zDim] → 4×4×8 (ConvT, BN, ReLU) → 8×8×1 (ConvT, tanh); optionally a softmax attention map of the 4×4
 * features. With `numClasses`, class-conditional: conditional BatchNorm, `forward(z, { labels })`.
 */
export class TinyGenerator extends Module implements GanGenerator {
  readonly zDim: number;
  readonly numClasses: number | undefined;
  private readonly layer1: Sequential;
  private readonly last: Sequential;

  constructor(options: { zDim?: number; seed?: number; attention?: boolean; numClasses?: number } = {}) {
    super();
    this.zDim = options.zDim ?? 4;
    this.numClasses = options.numClasses;
    const random = new Random(options.seed ?? 1);
    const norm = options.numClasses === undefined ? new BatchNorm2d(8) : new ConditionalBatchNorm2d(8, options.numClasses);
    this.layer1 = this.registerModule("layer1", new Sequential(new ConvTranspose2d(this.zDim, 8, 4, { random }), norm, new ReLU()));
    this.last = this.registerModule("last", new Sequential(new ConvTranspose2d(8, 1, 4, { stride: 2, padding: 1, random }), new Tanh()));
    this.attention = options.attention ?? false;
  }

  private readonly attention: boolean;

  forward(z: tf.Tensor, options?: ForwardOptions): GeneratorOutput {
    if (this.numClasses !== undefined && !options?.labels) throw new Error("TinyGenerator.forward: labels are required (conditional)");
    return tf.tidy(() => {
      const h = this.layer1.forward(tf.reshape(z, [z.shape[0], 1, 1, this.zDim]) as tf.Tensor4D, options?.labels);
      const images = this.last.forward(h);
      const attentionMaps: tf.Tensor3D[] = [];
      if (this.attention) {
        const f = tf.reshape(h, [h.shape[0], 16, 8]);
        attentionMaps.push(tf.softmax(tf.matMul(f, f, false, true)) as tf.Tensor3D);
      }
      return { images, attentionMaps } as unknown as tf.TensorContainerObject;
    }) as unknown as GeneratorOutput;
  }
}

/**
 * 8×8×1 → 4×4×4 (conv, leaky ReLU) → one logit (conv). With `numClasses`, class-conditional: plus a projection of the
 * 4×4×4 features onto the class embedding (`forward(images, { labels })`).
 */
export class TinyDiscriminator extends Module implements GanDiscriminator {
  readonly numClasses: number | undefined;
  private readonly net: Sequential;
  private readonly last: Conv2d | undefined;
  private readonly embed: ProjectionHead | undefined;

  constructor(options: { seed?: number; numClasses?: number } = {}) {
    super();
    const random = new Random(options.seed ?? 2);
    this.numClasses = options.numClasses;
    if (options.numClasses === undefined) {
      this.net = this.registerModule(
        "net",
        new Sequential(new Conv2d(1, 4, 4, { stride: 2, padding: 1, random }), new LeakyReLU(0.1), new Conv2d(4, 1, 4, { random })),
      );
      return;
    }
    this.net = this.registerModule("net", new Sequential(new Conv2d(1, 4, 4, { stride: 2, padding: 1, random }), new LeakyReLU(0.1)));
    this.last = this.registerModule("last", new Conv2d(4, 1, 4, { random }));
    this.embed = this.registerModule("embed", new ProjectionHead(options.numClasses, 64, { random }));
  }

  forward(images: tf.Tensor4D, options?: ForwardOptions): DiscriminatorOutput {
    return tf.tidy(() => {
      const h = this.net.forward(images);
      let logits = tf.reshape(this.last ? this.last.forward(h) : h, [images.shape[0]]) as tf.Tensor1D;
      if (this.embed) logits = tf.add(logits, this.embed.forward(h, options?.labels)) as tf.Tensor1D;
      return { logits, attentionMaps: [] as tf.Tensor3D[] } as unknown as tf.TensorContainerObject;
    }) as unknown as DiscriminatorOutput;
  }
}

/** `n` images 8×8×1 in [-1, 1] from `seed`. */
export function tinyImages(n: number, seed = 3): tf.Tensor4D {
  return tf.tidy(() => tf.tanh(new Random(seed).normal([n, 8, 8, 1])) as tf.Tensor4D);
}

/**
 * A data source with a shuffle RNG and state, like a real loader: every epoch draws a permutation from its
 * RNG (so the order depends on the state, not on the epoch index).
 */
export class ShufflingSource implements DataSource {
  readonly batchesPerEpoch: number;
  private random: Random;

  constructor(
    private readonly images: tf.Tensor4D,
    readonly batchSize: number,
    seed = 9,
  ) {
    this.batchesPerEpoch = Math.ceil(images.shape[0] / batchSize);
    this.random = new Random(seed);
  }

  async *epoch(): AsyncGenerator<tf.Tensor4D> {
    const n = this.images.shape[0];
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random.nextFloat() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let s = 0; s < n; s += this.batchSize) {
      const idx = order.slice(s, s + this.batchSize);
      yield tf.tidy(() => tf.gather(this.images, tf.tensor1d(idx, "int32")) as tf.Tensor4D);
    }
  }

  getState(): unknown {
    return this.random.getState();
  }

  setState(state: unknown): void {
    this.random.setState(state as ReturnType<Random["getState"]>);
  }
}

/** A BCE-with-logits GAN loss written out with plain ops (independent of @gan/losses). */
export const simpleBce: GanLoss = {
  name: "bce",
  discriminatorLoss: (real, fake) =>
    tf.tidy(() => tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))) as tf.Scalar),
  generatorLoss: (fake) => tf.tidy(() => tf.mean(tf.softplus(tf.neg(fake))) as tf.Scalar),
};

/** Copies of every variable of a module's state dict, by name. */
export function snapshotState(module: { stateDict(): Record<string, tf.Tensor> }): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, v] of Object.entries(module.stateDict())) out[k] = (v.dataSync() as Float32Array | Int32Array).slice();
  return out;
}

/** Names whose values differ between two snapshots. */
export function changedKeys(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): string[] {
  return Object.keys(a).filter((k) => {
    const x = a[k];
    const y = b[k];
    if (x.length !== y.length) return true;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return true;
    return false;
  });
}
