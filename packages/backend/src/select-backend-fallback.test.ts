// Runs in its own worker: it breaks the wasm backend's start, first the multithreaded build's, then all.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it, vi } from "vitest";
import { backendInfo } from "./backend-info";
import { BackendUnavailableError } from "./native-backend";
import { selectBackend } from "./select-backend";

vi.mock("./wasm-threads", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./wasm-threads")>()),
  threadedWasmFactory: () => async () => {
    throw new Error("pthreads are broken here");
  },
}));

describe("selectBackend when wasm cannot start", () => {
  it("runs wasm on one thread, with a warning, when its multithreaded build fails", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {}); // tfjs reports the failed start itself
    const warn = vi.fn();
    const chosen = await selectBackend("wasm", { threads: 2, log: () => {}, warn });
    expect(chosen.name).toBe("wasm");
    expect(backendInfo()).toMatchObject({ threadCount: 1, threads: false, trainingKernels: true });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/multithreaded wasm build could not start .*pthreads are broken here.*one thread/));
  });

  it("'auto' falls back to cpu and warns loudly when wasm cannot start at all", async () => {
    tf.removeBackend("wasm");
    tf.registerBackend("wasm", () => {
      throw new Error("no WebAssembly here");
    });
    const log = vi.fn();
    const warn = vi.fn();
    const chosen = await selectBackend("auto", { log, warn, threads: 1 });
    expect(chosen.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(chosen.reason).toMatch(/wasm failed to start/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/WARNING: the wasm backend failed to start .* plain cpu backend/);
  });

  it("'wasm' fails with the reason", async () => {
    await expect(selectBackend("wasm", { log: () => {}, threads: 1 })).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
