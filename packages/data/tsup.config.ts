import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of shared modules (DataError, ...) for both entries in the CommonJS build too.
  splitting: true,
  target: "node20",
  // import.meta.url in the CommonJS build (emoji.ts finds unicode-emoji-json's data through it).
  shims: true,
});
