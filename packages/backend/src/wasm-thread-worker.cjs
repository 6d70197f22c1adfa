// The pthread worker of @tensorflow/tfjs-backend-wasm's multithreaded build, as a file Node can start.
// tfjs ships this script only as a string and starts it from a Blob URL, which Node's worker_threads
// refuse (ERR_WORKER_PATH); see wasm-threads.ts.
"use strict";
const { wasmWorkerContents } = require("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js");
// The script is one line whose string literals hold raw newlines (tfjs escapes them the same way).
// biome-ignore lint/security/noGlobalEval: the Emscripten worker ships as a string and must see this module's require
eval(wasmWorkerContents.replace(/\n/g, "\\n"));
