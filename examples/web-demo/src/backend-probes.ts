/** The tfjs parts of the backend probes (src/backend-choice.ts) both pages use. */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Undefined when a transposed convolution, as the generator runs, is right on the active backend: some drivers start
 * a context and then compute garbage.
 */
export async function convolutionCheck(): Promise<string | undefined> {
  await tf.ready();
  const probe = tf.tidy(() => tf.conv2dTranspose(tf.ones([1, 2, 2, 2]) as tf.Tensor4D, tf.ones([2, 2, 3, 2]) as tf.Tensor4D, [1, 3, 3, 3], 1, "valid"));
  const values = await probe.data();
  probe.dispose();
  if (values.length !== 27 || values[0] !== 2 || values[4] !== 4 || values[13] !== 8) return `computes wrong results (a test convolution gave ${Array.from(values.slice(0, 14))})`;
  return undefined;
}

/** The WebGL renderer's name (e.g. "ANGLE (NVIDIA ...)" or "... SwiftShader ..."), while webgl is the backend. */
export function webglRenderer(): string {
  // biome-ignore lint/suspicious/noExplicitAny: the WebGL context is not part of the backend's public type.
  const gl = (tf.backend() as any).gpgpu?.gl as WebGLRenderingContext | undefined;
  if (!gl) return "unknown renderer";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}
