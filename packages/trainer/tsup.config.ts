import { defineConfig } from "tsup";

export default defineConfig({
  // The browser-safe main entry and the Node entry (`@gan/trainer/node`).
  entry: { index: "src/index.ts", "node/index": "src/node/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // Both entries share one copy of the code (one GanTrainer class, one set of callbacks), in CommonJS too.
  splitting: true,
  // import.meta.url (used to find sibling packages' versions) also works in the CommonJS build.
  shims: true,
});
