import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // One copy of shared modules for both entries in the CommonJS build too.
  splitting: true,
  target: "node20",
  noExternal: [/tfjs-core\/dist\/register_all_gradients/],
});
