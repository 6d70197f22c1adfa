import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of shared modules (DigitClassifier, ...) for both entries in the CommonJS build too.
  splitting: true,
  target: "node20",
  // `import.meta.url` (used to find weights/digit-classifier.safetensors) also in the CJS build.
  shims: true,
});
