import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// The wasm binaries come from the package's own dist/ and are emitted into the build next to the page (no CDN).
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import { type BackendProbe, chooseBackend, type BackendChoice as SharedChoice } from "./backend-choice";
import { convolutionCheck, webglRenderer } from "./backend-probes";

setWasmPaths({
  "tfjs-backend-wasm.wasm": wasmPlain,
  "tfjs-backend-wasm-simd.wasm": wasmSimd,
  "tfjs-backend-wasm-threaded-simd.wasm": wasmThreadedSimd,
});

// Shapes as uniforms: one compiled shader per operation instead of one per operation and input shape, so the
// grid (a batch of 16) and the inspector (a batch of 1) share shaders. Compiling is what takes long on a
// software WebGL (SwiftShader, what Chromium offers without a GPU).
tf.env().set("WEBGL_USE_SHAPES_UNIFORMS", true);

/** The backends the page tries, best first. */
export const BACKENDS = ["webgl", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend the page runs on and why. */
export type BackendChoice = SharedChoice<BackendName>;

function describe(name: BackendName): string {
  if (name === "webgl") return `WebGL ${tf.env().getNumber("WEBGL_VERSION")}, ${webglRenderer()}`;
  if (name === "wasm") {
    const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
    // Threads only where the page is cross-origin isolated; tfjs's default is then half the logical CPUs.
    const threads = getThreadsCount();
    return `WebAssembly${simd ? " SIMD" : ""}, ${threads} thread${threads === 1 ? "" : "s"}`;
  }
  return "plain JavaScript";
}

/** The viewer's backends as `chooseBackend` sees them (src/backend-choice.ts). */
const probe: BackendProbe<BackendName> = {
  start: (name) => tf.setBackend(name),
  verify: () => convolutionCheck(),
  renderer: (name) => (name === "webgl" ? webglRenderer() : undefined),
  release: (name) => tf.removeBackend(name),
  describe,
};

/**
 * Selects the first backend, WebGL, wasm then cpu, that starts and computes correctly. A WebGL that renders in
 * software (Chromium without a GPU uses SwiftShader) is passed over for wasm, which is faster there.
 * `preferred` (the page's `?backend=webgl|wasm|cpu`) is tried first and taken even when software-rendered.
 */
export function selectBackend(preferred?: string | null): Promise<BackendChoice> {
  return chooseBackend(BACKENDS, probe, preferred);
}
