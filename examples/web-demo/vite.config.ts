import { defineConfig } from "vite";

// A static page: every asset (tfjs, its wasm binaries, the model in public/model) ends up in dist/ and is served
// from the page's own folder, so the build works offline and from any sub-path (base "./").
export default defineConfig({
  base: "./",
  // A page, not a single-page app: a missing file (say, a model folder not exported yet) is a 404, not index.html.
  appType: "mpa",
  build: {
    target: "es2022",
    // Two pages: the viewer (index.html) and the Train page (train.html, its training in a Web Worker).
    rollupOptions: { input: { index: "index.html", train: "train.html" } },
    // tfjs-core and its backends make one large chunk; that is expected here.
    chunkSizeWarningLimit: 4096,
  },
  resolve: {
    // One tfjs engine for the page: the backends register into the copy the models compute with.
    dedupe: ["@tensorflow/tfjs-core"],
  },
  worker: { format: "es" },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
