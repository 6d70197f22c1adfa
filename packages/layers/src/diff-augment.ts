import type { ForwardOptions } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";
import { defaultRandom, type Random } from "./random";

/** One DiffAugment transform. `"color"` is brightness, saturation and contrast. */
export type DiffAugmentOp = "color" | "brightness" | "saturation" | "contrast" | "translation" | "cutout";

/** Options of {@link diffAugment} and {@link withDiffAugment}. */
export interface DiffAugmentOptions {
  /**
   * Transforms, applied in this order (default `["color", "translation", "cutout"]`, the paper's choice for
   * small data sets); a comma-separated string is accepted (`"translation,cutout"`). Empty: the identity.
   */
  policy?: readonly DiffAugmentOp[] | string;
  /** Largest shift as a fraction of the side (default 0.125, i.e. ±8 px at 64 × 64); the gap is filled with 0. */
  translationRatio?: number;
  /** Side of the zeroed square as a fraction of the image side (default 0.5). */
  cutoutRatio?: number;
  /** Source of the random parameters (default the library-wide `defaultRandom()`). */
  random?: Random;
}

const OPS: readonly DiffAugmentOp[] = ["color", "brightness", "saturation", "contrast", "translation", "cutout"];

/** The policy as a list of transforms; throws on unknown names. */
export function diffAugmentPolicy(policy: DiffAugmentOptions["policy"] = ["color", "translation", "cutout"]): DiffAugmentOp[] {
  const list = typeof policy === "string" ? policy.split(",").map((s) => s.trim()).filter((s) => s !== "") : [...policy];
  for (const op of list) {
    if (!OPS.includes(op as DiffAugmentOp)) throw new Error(`DiffAugment: unknown transform '${op}' (known: ${OPS.join(", ")})`);
  }
  return list as DiffAugmentOp[];
}

function perSample(random: Random, b: number, f: (u: number) => number): tf.Tensor4D {
  return tf.tensor4d(Array.from({ length: b }, () => f(random.nextFloat())), [b, 1, 1, 1]);
}

/**
 * Differentiable augmentation (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
 * 2020; the official `DiffAugment_pytorch.py` transforms) of images `[B, H, W, C]` in [-1, 1], with fresh random
 * parameters per sample on each call:
 * - brightness: `x + (u − 0.5)`; saturation: `(x − mean_c)·2u + mean_c`; contrast: `(x − mean)·(u + 0.5) + mean`;
 * - translation: an integer shift of up to `translationRatio` of each side, zero-filled (gradients flow back to every
 *   input pixel that stays visible);
 * - cutout: a square of `cutoutRatio` of the side set to 0 at a random centre.
 *
 * Every transform is built from differentiable tfjs ops, so the generator receives gradients through the
 * augmented fakes. With an empty policy it returns `x` itself.
 */
export function diffAugment(x: tf.Tensor4D, options: DiffAugmentOptions = {}): tf.Tensor4D {
  const policy = diffAugmentPolicy(options.policy);
  if (policy.length === 0) return x;
  const random = options.random ?? defaultRandom();
  const [b, h, w] = x.shape;
  return tf.tidy(() => {
    let y: tf.Tensor4D = x;
    for (const op of policy) {
      if (op === "color" || op === "brightness") y = tf.add(y, perSample(random, b, (u) => u - 0.5));
      if (op === "color" || op === "saturation") {
        const mean = tf.mean(y, 3, true);
        y = tf.add(tf.mul(tf.sub(y, mean), perSample(random, b, (u) => u * 2)), mean);
      }
      if (op === "color" || op === "contrast") {
        const mean = tf.mean(y, [1, 2, 3], true);
        y = tf.add(tf.mul(tf.sub(y, mean), perSample(random, b, (u) => u + 0.5)), mean);
      }
      if (op === "translation") y = translate(y, options.translationRatio ?? 0.125, random);
      if (op === "cutout") {
        const sh = Math.floor(h * (options.cutoutRatio ?? 0.5) + 0.5);
        const sw = Math.floor(w * (options.cutoutRatio ?? 0.5) + 0.5);
        const mask = new Float32Array(b * h * w).fill(1);
        for (let i = 0; i < b; i++) {
          const cy = Math.floor(random.nextFloat() * (h + (1 - (sh % 2))));
          const cx = Math.floor(random.nextFloat() * (w + (1 - (sw % 2))));
          const y0 = Math.max(cy - Math.floor(sh / 2), 0);
          const y1 = Math.min(cy - Math.floor(sh / 2) + sh, h);
          const x0 = Math.max(cx - Math.floor(sw / 2), 0);
          const x1 = Math.min(cx - Math.floor(sw / 2) + sw, w);
          for (let r = y0; r < y1; r++) mask.fill(0, i * h * w + r * w + x0, i * h * w + r * w + x1);
        }
        y = tf.mul(y, tf.tensor4d(mask, [b, h, w, 1]));
      }
    }
    return y;
  });
}

/**
 * Shifts each sample by an integer (dy, dx) ∈ [−s, s]², zero-filled: `out[b, r, c] = x[b, r − dy, c − dx]`.
 * Backends that keep tensors in host memory (cpu, wasm) move the pixels in a JS loop, which with its gradient (the
 * opposite shift) takes ~2 ms for 32 images of 64 × 64 where the products with 0/1 shift matrices used elsewhere
 * take ~22 ms on wasm (~8% of a training step). Other backends (GPUs) keep the products, which need no download.
 * Both give the same values and gradients bit for bit.
 */
export function translate(x: tf.Tensor4D, ratio: number, random: Random, path: "host" | "matmul" = onHost() ? "host" : "matmul"): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const sy = Math.floor(h * ratio + 0.5);
  const sx = Math.floor(w * ratio + 0.5);
  if (sy === 0 && sx === 0) return x;
  const shifts = Array.from({ length: b }, () => {
    const dy = Math.floor(random.nextFloat() * (2 * sy + 1)) - sy;
    const dx = Math.floor(random.nextFloat() * (2 * sx + 1)) - sx;
    return [dy, dx] as const;
  });
  if (path === "host") {
    const shift = tf.customGrad(((input: tf.Tensor) => ({
      value: tf.tensor4d(shiftPixels(input.dataSync() as Float32Array, x.shape, shifts, 1), x.shape),
      gradFunc: (dy: tf.Tensor) => tf.tensor4d(shiftPixels(dy.dataSync() as Float32Array, x.shape, shifts, -1), x.shape),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    return shift(x) as tf.Tensor4D;
  }
  const rows = new Float32Array(b * c * h * h);
  const cols = new Float32Array(b * c * w * w);
  for (let i = 0; i < b; i++) {
    const [dy, dx] = shifts[i];
    for (let ch = 0; ch < c; ch++) {
      const k = i * c + ch;
      for (let r = 0; r < h; r++) if (r - dy >= 0 && r - dy < h) rows[k * h * h + r * h + (r - dy)] = 1;
      for (let col = 0; col < w; col++) if (col - dx >= 0 && col - dx < w) cols[k * w * w + (col - dx) * w + col] = 1;
    }
  }
  return tf.tidy(() => {
    const planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w]) as tf.Tensor3D;
    const shifted = tf.matMul(tf.matMul(tf.tensor3d(rows, [b * c, h, h]), planes), tf.tensor3d(cols, [b * c, w, w]));
    return tf.transpose(tf.reshape(shifted, [b, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

function onHost(): boolean {
  const backend = tf.getBackend();
  return backend === "cpu" || backend === "wasm";
}

/** `src` `[B, H, W, C]` with sample i moved by `sign`·shifts[i], zero-filled. */
function shiftPixels(src: Float32Array, [b, h, w, c]: readonly number[], shifts: readonly (readonly [number, number])[], sign: 1 | -1): Float32Array {
  const out = new Float32Array(b * h * w * c);
  for (let i = 0; i < b; i++) {
    const dy = sign * shifts[i][0];
    const dx = sign * shifts[i][1];
    const c0 = Math.max(0, dx);
    const c1 = Math.min(w, w + dx);
    if (c1 <= c0) continue;
    for (let r = Math.max(0, dy); r < Math.min(h, h + dy); r++) {
      const to = ((i * h + r) * w + c0) * c;
      const from = ((i * h + r - dy) * w + c0 - dx) * c;
      out.set(src.subarray(from, from + (c1 - c0) * c), to);
    }
  }
  return out;
}

/** Something that scores images: a discriminator. */
export interface ImageScorer {
  training: boolean;
  forward(images: tf.Tensor4D, options?: ForwardOptions): unknown;
}

const ORIGINAL = Symbol("diffAugment.originalForward");

/**
 * Makes `discriminator` augment every batch it scores in training mode with {@link diffAugment} — in the D step
 * that is both the real and the generated batch, in the G step the generated one, as DiffAugment prescribes —
 * by wrapping its `forward`; in eval mode it scores the images as given. Parameters, state-dict names and
 * checkpoints are untouched. An empty policy leaves the discriminator as it is. Returns the same object;
 * {@link withoutDiffAugment} undoes it.
 */
export function withDiffAugment<D extends ImageScorer>(discriminator: D, options: DiffAugmentOptions = {}): D {
  const policy = diffAugmentPolicy(options.policy);
  withoutDiffAugment(discriminator);
  if (policy.length === 0) return discriminator;
  const target = discriminator as D & { [ORIGINAL]?: D["forward"] };
  const original = discriminator.forward;
  target[ORIGINAL] = original;
  const opts = { ...options, policy };
  // The augmented batch is not disposed here: under tf.grad / minimize the backward pass still needs it; the
  // trainer's steps run inside tf.tidy, which frees it.
  target.forward = ((images: tf.Tensor4D, forwardOptions?: ForwardOptions) =>
    original.call(discriminator, discriminator.training ? diffAugment(images, opts) : images, forwardOptions)) as D["forward"];
  return discriminator;
}

/** Removes {@link withDiffAugment}'s wrapper (no-op when there is none). */
export function withoutDiffAugment<D extends ImageScorer>(discriminator: D): D {
  const target = discriminator as D & { [ORIGINAL]?: D["forward"] };
  if (target[ORIGINAL]) {
    target.forward = target[ORIGINAL];
    delete target[ORIGINAL];
  }
  return discriminator;
}
