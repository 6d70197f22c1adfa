import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // import.meta.url (used to find optional packages and the wasm thread worker) must work in CJS too.
  shims: true,
  // The pthread worker of the multithreaded wasm build is started from a file beside the bundle.
  async onSuccess() {
    copyFileSync("src/wasm-thread-worker.cjs", "dist/wasm-thread-worker.cjs");
  },
});
