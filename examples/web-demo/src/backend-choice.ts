/**
 * Which TensorFlow.js backend a page runs on, and why: the decision both pages share. The viewer (src/backend.ts)
 * tries WebGL, wasm then cpu; the Train page's worker (src/train/backend.ts) WebGPU, WebGL, wasm then cpu. The first
 * backend that is available, starts and computes a small transposed convolution correctly is taken, except that a
 * GPU backend rendering in software (SwiftShader, llvmpipe: what Chromium offers without a GPU) is passed over,
 * since the wasm backend is several times faster there. A backend asked for (`?backend=`) is tried first and taken
 * even when it renders in software.
 *
 * The decision (`chooseBackend`) takes the backend-specific work as a `BackendProbe`, so that it is tested with
 * fakes in Node; `convolutionCheck` and `webglRenderer` (src/backend-probes.ts) are the probes' tfjs parts. No tfjs
 * here: the Train page's main thread uses `explainChoice`.
 */
/** A backend passed over, and why. */
export interface SkippedBackend<N extends string = string> {
  name: N;
  reason: string;
}

/** The backend a page runs on and why. */
export interface BackendChoice<N extends string = string> {
  name: N;
  /** Details of the running backend (WebGL version and renderer, wasm SIMD/threads). */
  detail: string;
  /** Backends tried before it, with the reason each was skipped. */
  skipped: Array<SkippedBackend<N>>;
  /** Whether it was asked for (`?backend=`) rather than found first in the order. */
  asked: boolean;
}

/** What `chooseBackend` needs to know of each backend. */
export interface BackendProbe<N extends string> {
  /**
   * Why `name` cannot run here, found without starting it (not in this build, no such browser API, only a software
   * adapter), or undefined to go on and start it. `asked`: it was asked for, so a software renderer is fine.
   */
  unavailable?(name: N, asked: boolean): Promise<string | undefined> | string | undefined;
  /** Starts `name` and makes it the active backend; false (or a throw, with the reason) when it cannot. */
  start(name: N): Promise<boolean>;
  /** Undefined when a test computation on the active backend is right, else what went wrong. */
  verify(name: N): Promise<string | undefined>;
  /** A GPU backend's renderer or adapter (for the software check); undefined for the others. */
  renderer?(name: N): string | undefined;
  /** Frees a backend that started but is passed over. */
  release?(name: N): void;
  /** Details of the running backend, for the page. */
  describe(name: N): string;
}

/** Renderers that draw on the CPU: a GPU backend through them is slower than the wasm backend. */
export const SOFTWARE_RENDERER = /SwiftShader|llvmpipe|softpipe|lavapipe|Software|Basic Render|Microsoft Basic/i;

export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERER.test(renderer);
}

/** `order` with `preferred` moved to the front, when it is one of them. */
export function backendOrder<N extends string>(order: readonly N[], preferred?: string | null): N[] {
  const out = [...order];
  const i = preferred ? out.indexOf(preferred as N) : -1;
  if (i > 0) out.unshift(...out.splice(i, 1));
  return out;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] || String(e);
}

/**
 * The first backend of `order` (`preferred` first) that is available, starts, computes correctly and, unless it is
 * `preferred`, does not render in software. Throws, naming every backend and its reason, when none does.
 */
export async function chooseBackend<N extends string>(order: readonly N[], probe: BackendProbe<N>, preferred?: string | null): Promise<BackendChoice<N>> {
  const skipped: Array<SkippedBackend<N>> = [];
  for (const name of backendOrder(order, preferred)) {
    const asked = name === preferred;
    try {
      const missing = await probe.unavailable?.(name, asked);
      if (missing !== undefined) {
        skipped.push({ name, reason: missing });
        continue;
      }
      if (!(await probe.start(name))) {
        skipped.push({ name, reason: "could not be initialised" });
        continue;
      }
      const wrong = await probe.verify(name);
      if (wrong !== undefined) {
        skipped.push({ name, reason: wrong });
        probe.release?.(name);
        continue;
      }
      const renderer = probe.renderer?.(name);
      if (renderer !== undefined && !asked && isSoftwareRenderer(renderer)) {
        skipped.push({ name, reason: `renders in software (${renderer}), slower than wasm` });
        probe.release?.(name);
        continue;
      }
      return { name, detail: probe.describe(name), skipped, asked };
    } catch (e) {
      skipped.push({ name, reason: firstLine(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend works here: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}

/** The parts of WebGPU's `GPUAdapter` read here (TypeScript's DOM library has no WebGPU types). */
export interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}
export interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** "nvidia ampere", "google swiftshader": the adapter's name as far as the browser tells it. */
export function adapterName(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" ") || "unnamed adapter";
}

/**
 * Why WebGPU cannot train here, or undefined: no `navigator.gpu`, no adapter, a software (fallback) adapter unless
 * asked for, or no tfjs WebGPU backend in the build (`registered` false).
 */
export async function webgpuUnavailable(gpu: GpuLike | undefined, registered: boolean, asked: boolean, timeoutMs = 5000): Promise<string | undefined> {
  if (!gpu) return "the browser offers no WebGPU here (no navigator.gpu)";
  let adapter: GpuAdapterLike | null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    adapter = await Promise.race([
      gpu.requestAdapter(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    return `no WebGPU adapter (${(e as Error).message ?? e})`;
  } finally {
    clearTimeout(timer);
  }
  if (!adapter) return "no WebGPU adapter (no usable GPU)";
  const name = adapterName(adapter);
  if (!asked && (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter || isSoftwareRenderer(name))) return `renders in software (${name}), slower than wasm`;
  if (!registered) return `not in this build: the example does not bundle @tensorflow/tfjs-backend-webgpu (a WebGPU adapter is here: ${name})`;
  return undefined;
}

/** Why the page runs on `choice`, in a sentence: asked for, or the first of `order` that works, and what was passed over. */
export function explainChoice<N extends string>(choice: BackendChoice<N>, order: readonly N[]): string {
  const passed = choice.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
  if (choice.asked) return `${choice.name}: asked for in the address (?backend=${choice.name}).`;
  const first = `${choice.name}: the first of ${order.join(" → ")} that works here`;
  return passed ? `${first}; passed over: ${passed}.` : `${first}.`;
}
