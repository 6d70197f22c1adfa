import { defineConfig } from "vite";

// Cross-origin isolation: with these two headers the page (and its workers) may share memory, so tfjs's wasm backend
// runs its threaded build (one XNNPACK thread per core) instead of one thread. Every asset is the page's own, so
// requiring CORP/CORS of cross-origin resources costs nothing here. A host serving dist/ elsewhere must send them too.
const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

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
  server: { host: "127.0.0.1", headers: CROSS_ORIGIN_ISOLATION },
  preview: { host: "127.0.0.1", headers: CROSS_ORIGIN_ISOLATION },
});
