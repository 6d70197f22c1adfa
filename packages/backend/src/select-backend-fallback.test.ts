// Runs in its own worker: it replaces the wasm backend with one that cannot start.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { BackendUnavailableError } from "./native-backend";
import { selectBackend } from "./select-backend";

describe("selectBackend when wasm cannot start", () => {
  beforeAll(() => {
    tf.removeBackend("wasm");
    tf.registerBackend("wasm", () => {
      throw new Error("no WebAssembly here");
    });
    vi.spyOn(console, "warn").mockImplementation(() => {}); // tfjs reports the failed start itself
  });

  it("'auto' falls back to cpu and warns loudly", async () => {
    const log = vi.fn();
    const warn = vi.fn();
    const chosen = await selectBackend("auto", { log, warn });
    expect(chosen.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(chosen.reason).toMatch(/wasm failed to start/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/WARNING: the wasm backend failed to start .* plain cpu backend/);
  });

  it("'wasm' fails with the reason", async () => {
    await expect(selectBackend("wasm", { log: () => {} })).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
