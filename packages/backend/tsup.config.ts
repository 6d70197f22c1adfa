import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of shared modules (the kernel registry, ...) for both entries in the CommonJS build too.
  splitting: true,
  target: "node20",
  // import.meta.url (used to find optional packages and the wasm thread worker) must work in CJS too.
  shims: true,
  // The pthread worker of the multithreaded wasm build is started from a file beside the bundle.
  async onSuccess() {
    copyFileSync("src/wasm-thread-worker.cjs", "dist/wasm-thread-worker.cjs");
  },
});
