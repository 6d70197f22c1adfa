/**
 * The training worker's backend: the best available of WebGPU, WebGL, wasm (then cpu, the last resort), chosen by
 * the viewer's rules (src/backend-choice.ts): a GPU backend that renders in software (SwiftShader, llvmpipe) is
 * passed over for wasm unless asked for (`?backend=`). wasm is `@gan/backend`'s `useWasmBackend` (tfjs's wasm
 * backend with the toolkit's training kernels).
 *
 * WebGPU is `@tensorflow/tfjs-backend-webgpu`, registered by its import below; it is chosen only where the browser
 * has a hardware WebGPU adapter and the test convolution comes out right.
 */
import { backendInfo, describeBackend, useWasmBackend } from "@gan/backend";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import * as tf from "@tensorflow/tfjs-core";
import { adapterName, type BackendChoice, type BackendProbe, chooseBackend, type GpuLike, webgpuUnavailable } from "../backend-choice";
import { convolutionCheck, webglRenderer } from "../backend-probes";
import { TRAIN_BACKENDS, type TrainBackend } from "./protocol";

let adapter = "";
/** wasm's XNNPACK threads (the page's `?threads=`); default one per logical CPU where the page is cross-origin isolated. */
let wasmThreads: number | undefined;

const probe: BackendProbe<TrainBackend> = {
  async unavailable(name, asked) {
    if (name !== "webgpu") return undefined;
    const gpu = (navigator as Navigator & { gpu?: GpuLike }).gpu;
    const why = await webgpuUnavailable(gpu, tf.findBackendFactory("webgpu") != null, asked);
    if (why === undefined && gpu) adapter = adapterName((await gpu.requestAdapter()) ?? {});
    return why;
  },
  async start(name) {
    if (name === "wasm") {
      await useWasmBackend({
        ...(wasmThreads ? { threads: wasmThreads } : {}),
        wasmPaths: {
          "tfjs-backend-wasm.wasm": new URL(wasmPlain, self.location.href).href,
          "tfjs-backend-wasm-simd.wasm": new URL(wasmSimd, self.location.href).href,
          "tfjs-backend-wasm-threaded-simd.wasm": new URL(wasmThreadedSimd, self.location.href).href,
        },
      });
      return true;
    }
    // One compiled shader per operation rather than per operation and shape (the grids and the steps share them).
    if (name === "webgl") tf.env().set("WEBGL_USE_SHAPES_UNIFORMS", true);
    return tf.setBackend(name);
  },
  verify: () => convolutionCheck(),
  renderer: (name) => (name === "webgl" ? webglRenderer() : name === "webgpu" ? adapter : undefined),
  release: (name) => tf.removeBackend(name),
  describe(name) {
    const info = describeBackend(backendInfo());
    if (name === "webgl") return `${info}, WebGL ${tf.env().getNumber("WEBGL_VERSION")}, ${webglRenderer()}`;
    if (name === "webgpu") return `${info}, ${adapter}`;
    return info;
  },
};

/**
 * Starts the best backend for training here (`preferred`, the page's `?backend=`, first). `threads` (the page's
 * `?threads=`) sets wasm's XNNPACK threads.
 */
export function selectTrainBackend(preferred?: string | null, threads?: number): Promise<BackendChoice<TrainBackend>> {
  wasmThreads = threads;
  return chooseBackend(TRAIN_BACKENDS, probe, preferred);
}
