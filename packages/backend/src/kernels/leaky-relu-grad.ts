import * as tf from "@tensorflow/tfjs-core";
import { simdKernels } from "./simd-kernels";
import { type KernelArgs, heapF32, heapIndex } from "./wasm-internals";

/** Kernel name of LeakyReLU's fused input gradient (inputs `{ dy, x }`, attr `alpha`). */
export const LEAKY_RELU_GRAD = "GanLeakyReluGrad";

/**
 * `GanLeakyReluGrad` (wasm): `x > 0 ? dy : dy·alpha` in one SIMD pass, where tfjs's gradient runs three
 * kernels (Greater, Multiply, Select) over the whole activation. Same float32 product, so bit-identical.
 */
export function leakyReluGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const { alpha } = attrs as unknown as { alpha: number };
  if (dy.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`@gan/backend: ${LEAKY_RELU_GRAD} takes float32 dy and x of one shape, got [${dy.shape}] and [${x.shape}]`);
  }
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  const [xAt, dyAt, outAt] = [x, dy, out].map((t) => heapIndex(backend, t));
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.leakyReluGrad(4 * xAt, 4 * dyAt, 4 * outAt, size, alpha);
  } else {
    const heap = heapF32(backend);
    const a = Math.fround(alpha);
    for (let i = 0; i < size; i++) {
      const g = heap[dyAt + i];
      heap[outAt + i] = heap[xAt + i] > 0 ? g : Math.fround(g * a);
    }
  }
  return out;
}

const STOCK_GRADIENT = Symbol.for("@gan/backend:stock-leaky-relu-gradient");
const OURS = Symbol.for("@gan/backend:leaky-relu-gradient");
type Holder = { [STOCK_GRADIENT]?: tf.GradConfig | null };
type MarkedGradConfig = tf.GradConfig & { [OURS]?: true };

/**
 * Makes LeakyReLU's gradient run {@link LEAKY_RELU_GRAD} on backends that have it (wasm with this package's
 * kernels), and tfjs's own formula, `where(x > 0, dy, dy·alpha)`, elsewhere. Idempotent.
 */
export function installLeakyReluGradient(): void {
  const holder = globalThis as Holder;
  const current = tf.getGradient("LeakyRelu") as MarkedGradConfig | undefined;
  if (current?.[OURS] === true) return;
  holder[STOCK_GRADIENT] = current ?? null;
  const config: MarkedGradConfig = {
    [OURS]: true,
    kernelName: "LeakyRelu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { alpha } = attrs as unknown as { alpha: number };
      const fused = x.dtype === "float32" && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()) != null;
      return {
        x: () =>
          fused
            ? (tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, { alpha }) as tf.Tensor)
            : tf.where(tf.greater(x, 0), dy as tf.Tensor, tf.mul(dy as tf.Tensor, alpha)),
      };
    },
  };
  tf.registerGradient(config);
}

/** Puts tfjs's LeakyReLU gradient back. */
export function restoreLeakyReluGradient(): void {
  const holder = globalThis as Holder;
  const current = tf.getGradient("LeakyRelu") as MarkedGradConfig | undefined;
  if (current?.[OURS] !== true) return;
  const stock = holder[STOCK_GRADIENT];
  if (stock != null) tf.registerGradient(stock);
  delete holder[STOCK_GRADIENT];
}
