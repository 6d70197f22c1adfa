import os from "node:os";
import { describe, expect, it, vi } from "vitest";
import { selectBackend } from "./select-backend";

describe("--threads above the machine's logical CPUs", () => {
  it("is capped, with a notice naming the request and the CPUs", async () => {
    const warn = vi.fn();
    await selectBackend("wasm", { threads: 99, log: () => {}, warn });
    const cpus = os.availableParallelism();
    expect(warn).toHaveBeenCalledWith(
      `[@gan/backend] WARNING: threads: 99 asked for, using ${Math.min(8, cpus)} (this machine has ${cpus} logical CPUs; at most 8)`,
    );
  });
});
