import * as tf from "@tensorflow/tfjs-core";
import type { WasmKernelFunc } from "./wasm-internals";

// Both the ESM and the CJS build of this package may be loaded into one process, and tfjs keeps one global
// kernel registry; the bookkeeping below lives on globalThis so both copies see the same state.
const STOCK_KEY = Symbol.for("@gan/backend:stock-wasm-kernels");
const MARK = Symbol.for("@gan/backend:custom-kernel");

type MarkedConfig = tf.KernelConfig & { [MARK]?: true };

function stockKernels(): Map<string, tf.KernelConfig | null> {
  const holder = globalThis as unknown as Record<symbol, Map<string, tf.KernelConfig | null> | undefined>;
  let map = holder[STOCK_KEY];
  if (map == null) {
    map = new Map();
    holder[STOCK_KEY] = map;
  }
  return map;
}

/** True when the kernel registered for `wasm` under `kernelName` is one of this package's. */
export function isCustomWasmKernel(kernelName: string): boolean {
  const current = tf.getKernel(kernelName, "wasm") as MarkedConfig | undefined;
  return current?.[MARK] === true;
}

/**
 * Registers `kernelFunc` as the wasm kernel `kernelName`, keeping the stock kernel (if any) for fallbacks and
 * for {@link restoreStockWasmKernel}. Returns false (and changes nothing) when ours is already installed.
 */
export function installWasmKernel(kernelName: string, kernelFunc: WasmKernelFunc): boolean {
  if (isCustomWasmKernel(kernelName)) return false;
  const stock = tf.getKernel(kernelName, "wasm") ?? null;
  stockKernels().set(kernelName, stock);
  if (stock != null) tf.unregisterKernel(kernelName, "wasm");
  const config: MarkedConfig = {
    kernelName,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    // The stock kernel's setup (it binds its C function) must still run, since ours may fall back to it.
    setupFunc: stock?.setupFunc,
    disposeFunc: stock?.disposeFunc,
    [MARK]: true,
  };
  tf.registerKernel(config);
  return true;
}

/** Puts the stock wasm kernel back in place of ours (used by benchmarks to compare). */
export function restoreStockWasmKernel(kernelName: string): void {
  if (!isCustomWasmKernel(kernelName)) return;
  tf.unregisterKernel(kernelName, "wasm");
  const stock = stockKernels().get(kernelName);
  if (stock != null) tf.registerKernel(stock);
  stockKernels().delete(kernelName);
}

/** The stock wasm kernel that ours replaced, or undefined when wasm had none. */
export function stockWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  const saved = stockKernels().get(kernelName);
  if (saved != null) return saved;
  if (isCustomWasmKernel(kernelName)) return undefined;
  return tf.getKernel(kernelName, "wasm");
}
