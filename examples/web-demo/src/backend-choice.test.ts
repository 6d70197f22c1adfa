/** The backend decision both pages share, with fake backends: the order, the software check, `?backend=`. */
import { describe, expect, it } from "vitest";
import { type BackendProbe, backendOrder, chooseBackend, explainChoice, type GpuLike, isSoftwareRenderer, webgpuUnavailable } from "./backend-choice";

const ORDER = ["webgpu", "webgl", "wasm", "cpu"] as const;
type Name = (typeof ORDER)[number];

interface Fake {
  unavailable?: string;
  starts?: boolean;
  throws?: string;
  wrong?: string;
  renderer?: string;
}

/** A probe over fake backends; `log` records what was done, in order. */
function fakeProbe(fakes: Partial<Record<Name, Fake>>, log: string[] = []): BackendProbe<Name> {
  return {
    unavailable: (name) => fakes[name]?.unavailable,
    async start(name) {
      log.push(`start ${name}`);
      if (fakes[name]?.throws) throw new Error(`${fakes[name]?.throws}\nstack`);
      return fakes[name]?.starts ?? true;
    },
    verify: async (name) => fakes[name]?.wrong,
    renderer: (name) => fakes[name]?.renderer,
    release: (name) => log.push(`release ${name}`),
    describe: (name) => `${name} details`,
  };
}

const NO_WEBGPU = "not in this build";
const SWIFTSHADER = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)";

describe("chooseBackend", () => {
  it("takes WebGPU first when it works on a GPU", async () => {
    const log: string[] = [];
    const choice = await chooseBackend(ORDER, fakeProbe({ webgpu: { renderer: "nvidia ampere" }, webgl: { renderer: "ANGLE (NVIDIA)" } }, log));
    expect(choice).toEqual({ name: "webgpu", detail: "webgpu details", skipped: [], asked: false });
    expect(log).toEqual(["start webgpu"]);
  });

  it("goes WebGPU → WebGL → wasm, passing over a software WebGL (here: Chromium without a GPU)", async () => {
    const log: string[] = [];
    const choice = await chooseBackend(ORDER, fakeProbe({ webgpu: { unavailable: NO_WEBGPU }, webgl: { renderer: SWIFTSHADER } }, log));
    expect(choice.name).toBe("wasm");
    expect(choice.skipped).toEqual([
      { name: "webgpu", reason: NO_WEBGPU },
      { name: "webgl", reason: `renders in software (${SWIFTSHADER}), slower than wasm` },
    ]);
    expect(log).toEqual(["start webgl", "release webgl", "start wasm"]);
    expect(explainChoice(choice, ORDER)).toBe(
      `wasm: the first of webgpu → webgl → wasm → cpu that works here; passed over: webgpu: ${NO_WEBGPU}; webgl: renders in software (${SWIFTSHADER}), slower than wasm.`,
    );
  });

  it("takes a hardware WebGL when WebGPU is missing", async () => {
    const choice = await chooseBackend(ORDER, fakeProbe({ webgpu: { unavailable: NO_WEBGPU }, webgl: { renderer: "ANGLE (NVIDIA, Vulkan)" } }));
    expect(choice.name).toBe("webgl");
    expect(choice.skipped.map((s) => s.name)).toEqual(["webgpu"]);
  });

  it("skips backends that do not start, throw (first line of the message) or compute wrongly, down to cpu", async () => {
    const log: string[] = [];
    const choice = await chooseBackend(
      ORDER,
      fakeProbe({ webgpu: { starts: false }, webgl: { throws: "no WebGL context" }, wasm: { wrong: "computes wrong results" } }, log),
    );
    expect(choice.name).toBe("cpu");
    expect(choice.skipped).toEqual([
      { name: "webgpu", reason: "could not be initialised" },
      { name: "webgl", reason: "no WebGL context" },
      { name: "wasm", reason: "computes wrong results" },
    ]);
    expect(log).toEqual(["start webgpu", "start webgl", "start wasm", "release wasm", "start cpu"]);
  });

  it("tries the backend asked for first and takes it even in software (?backend=webgl)", async () => {
    const choice = await chooseBackend(ORDER, fakeProbe({ webgpu: { unavailable: NO_WEBGPU }, webgl: { renderer: SWIFTSHADER } }), "webgl");
    expect(choice).toEqual({ name: "webgl", detail: "webgl details", skipped: [], asked: true });
    expect(explainChoice(choice, ORDER)).toBe("webgl: asked for in the address (?backend=webgl).");
  });

  it("falls back in order when the backend asked for fails, and ignores unknown names", async () => {
    const choice = await chooseBackend(ORDER, fakeProbe({ webgpu: { unavailable: NO_WEBGPU }, webgl: { renderer: SWIFTSHADER } }), "webgpu");
    expect(choice.name).toBe("wasm");
    expect(choice.asked).toBe(false);
    expect((await chooseBackend(ORDER, fakeProbe({ webgpu: { unavailable: NO_WEBGPU }, webgl: {} }), "tensorflow")).name).toBe("webgl");
    expect(backendOrder(ORDER, "wasm")).toEqual(["wasm", "webgpu", "webgl", "cpu"]);
    expect(backendOrder(ORDER, "nope")).toEqual([...ORDER]);
  });

  it("throws naming every backend and its reason when none works", async () => {
    await expect(chooseBackend(["webgl", "wasm"] as const, { start: async () => false, verify: async () => undefined, describe: () => "" })).rejects.toThrow(
      "no TensorFlow.js backend works here: webgl: could not be initialised; wasm: could not be initialised",
    );
  });
});

describe("software renderers", () => {
  it("recognises SwiftShader, llvmpipe and lavapipe but not GPUs", () => {
    for (const r of [SWIFTSHADER, "llvmpipe (LLVM 15.0.6, 256 bits)", "lavapipe", "Microsoft Basic Render Driver"]) expect(isSoftwareRenderer(r)).toBe(true);
    for (const r of ["ANGLE (NVIDIA, NVIDIA GeForce RTX 3080)", "Apple M2", "Mesa Intel(R) UHD Graphics 620"]) expect(isSoftwareRenderer(r)).toBe(false);
  });
});

describe("webgpuUnavailable", () => {
  const gpu = (adapter: Awaited<ReturnType<GpuLike["requestAdapter"]>>): GpuLike => ({ requestAdapter: async () => adapter });

  it("names what is missing: the API, an adapter, the tfjs backend", async () => {
    expect(await webgpuUnavailable(undefined, true, false)).toBe("the browser offers no WebGPU here (no navigator.gpu)");
    expect(await webgpuUnavailable(gpu(null), true, false)).toBe("no WebGPU adapter (no usable GPU)");
    expect(await webgpuUnavailable({ requestAdapter: () => new Promise(() => {}) }, true, false, 20)).toBe("no WebGPU adapter (no answer in 0.02 s)");
    const nvidia = gpu({ info: { vendor: "nvidia", architecture: "ampere" } });
    expect(await webgpuUnavailable(nvidia, false, false)).toBe("not in this build: the example does not bundle @tensorflow/tfjs-backend-webgpu (a WebGPU adapter is here: nvidia ampere)");
    expect(await webgpuUnavailable(nvidia, true, false)).toBeUndefined();
  });

  it("passes over a software (fallback) adapter unless asked for", async () => {
    const swiftshader = gpu({ info: { vendor: "google", architecture: "swiftshader" } });
    expect(await webgpuUnavailable(swiftshader, true, false)).toBe("renders in software (google swiftshader), slower than wasm");
    expect(await webgpuUnavailable(gpu({ isFallbackAdapter: true }), true, false)).toBe("renders in software (unnamed adapter), slower than wasm");
    expect(await webgpuUnavailable(swiftshader, true, true)).toBeUndefined();
  });
});
