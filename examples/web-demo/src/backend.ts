import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// The wasm binaries come from the package's own dist/ and are emitted into the build next to the page (no CDN).
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import wasmThreadedSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";

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
export interface BackendChoice {
  name: BackendName;
  /** Details of the running backend (WebGL version and renderer, wasm SIMD/threads). */
  detail: string;
  /** Backends tried before it, with the reason each was skipped. */
  skipped: Array<{ name: BackendName; reason: string }>;
}

/** The WebGL renderer's name (e.g. "ANGLE (NVIDIA ...)" or "... SwiftShader ..."), while webgl is the backend. */
function webglRenderer(): string {
  // biome-ignore lint/suspicious/noExplicitAny: the WebGL context is not part of the backend's public type.
  const gl = (tf.backend() as any).gpgpu?.gl as WebGLRenderingContext | undefined;
  if (!gl) return "unknown renderer";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** Renderers that draw on the CPU: WebGL through them is slower than the wasm backend. */
const SOFTWARE_RENDERER = /SwiftShader|llvmpipe|softpipe|Software|Basic Render/i;

function describe(name: BackendName): string {
  if (name === "webgl") return `WebGL ${tf.env().getNumber("WEBGL_VERSION")}, ${webglRenderer()}`;
  if (name === "wasm") {
    const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
    const threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT");
    return `WebAssembly${simd ? " SIMD" : ""}${threads ? ", threads" : ", 1 thread"}`;
  }
  return "plain JavaScript";
}

/**
 * Selects the first backend, WebGL, wasm then cpu, that starts and computes correctly. A WebGL that renders in
 * software (Chromium without a GPU uses SwiftShader) is passed over for wasm, which is faster there.
 * `preferred` (the page's `?backend=webgl|wasm|cpu`) is tried first and taken even when software-rendered.
 */
export async function selectBackend(preferred?: string | null): Promise<BackendChoice> {
  const order: BackendName[] = [...BACKENDS];
  if (preferred && (BACKENDS as readonly string[]).includes(preferred)) {
    order.splice(order.indexOf(preferred as BackendName), 1);
    order.unshift(preferred as BackendName);
  }
  const skipped: BackendChoice["skipped"] = [];
  for (const name of order) {
    try {
      if (!(await tf.setBackend(name))) {
        skipped.push({ name, reason: "could not be initialised" });
        continue;
      }
      await tf.ready();
      // A transposed convolution, as the generator runs: some drivers start a context and then compute garbage.
      const probe = tf.tidy(() => tf.conv2dTranspose(tf.ones([1, 2, 2, 2]) as tf.Tensor4D, tf.ones([2, 2, 3, 2]) as tf.Tensor4D, [1, 3, 3, 3], 1, "valid"));
      const values = await probe.data();
      probe.dispose();
      if (values.length !== 27 || values[0] !== 2 || values[4] !== 4 || values[13] !== 8) {
        skipped.push({ name, reason: `computes wrong results (a test convolution gave ${Array.from(values.slice(0, 14))})` });
        continue;
      }
      if (name === "webgl" && name !== preferred && SOFTWARE_RENDERER.test(webglRenderer())) {
        skipped.push({ name, reason: `renders in software (${webglRenderer()}), slower than wasm` });
        tf.removeBackend(name);
        continue;
      }
      return { name, detail: describe(name), skipped };
    } catch (e) {
      skipped.push({ name, reason: (e as Error).message.split("\n")[0] || String(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend works here: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}
