import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { randomArray } from "../test-utils";
import { transposeMatrix } from "./heap-copy";
import { assembleSimdModule, simdKernels, transposeAt, webAssemblyApi } from "./simd-kernels";
import { type WasmBackend, heapF32, heapIndex } from "./wasm-internals";

// GAN_WASM_NO_SIMD_KERNELS=1 turns the module off (to test the JS fallbacks): nothing to test here then.
describe.skipIf(process.env.GAN_WASM_NO_SIMD_KERNELS === "1")("SIMD loops", () => {
  let backend: WasmBackend;
  beforeAll(async () => {
    await tf.setBackend("wasm");
    backend = tf.backend() as unknown as WasmBackend;
  });

  it("assemble into valid modules, shared and not", () => {
    expect(webAssemblyApi()?.validate(assembleSimdModule(false))).toBe(true);
    expect(webAssemblyApi()?.validate(assembleSimdModule(true))).toBe(true);
  });

  it("bind to the wasm backend's heap", () => {
    expect(simdKernels(backend)).not.toBeNull();
    expect(simdKernels(backend)).toBe(simdKernels(backend));
  });

  // Destination rows 2 KB or 4 KB apart go through padded strips (transposeAt): whole strips, a part strip at the
  // end, a source with its own stride; the scratch is freed.
  for (const [rows, cols, dstStride] of [[1024, 1024, 1024], [256, 70, 512], [300, 33, 1024]]) {
    it(`transposeAt ${rows} × ${cols} into rows ${dstStride} floats apart like the JS loop`, () => {
      const src = tf.tensor(randomArray(rows * (cols + 1), cols), [rows, cols + 1]);
      const dst = tf.zeros([cols, dstStride]);
      const ref = tf.zeros([cols, dstStride]);
      const buffers = backend.numDataIds();
      transposeAt(backend, heapIndex(backend, src), cols + 1, heapIndex(backend, dst), dstStride, rows, cols);
      expect(backend.numDataIds()).toBe(buffers);
      transposeMatrix(heapF32(backend), heapIndex(backend, src), cols + 1, heapIndex(backend, ref), dstStride, rows, cols);
      expect(Array.from(dst.dataSync())).toEqual(Array.from(ref.dataSync()));
      tf.dispose([src, dst, ref]);
    });
  }

  for (const [rows, cols] of [[1, 1], [3, 5], [4, 4], [37, 61], [64, 8], [8, 1024], [130, 67]]) {
    it(`transpose ${rows} × ${cols} (strided, into a bigger matrix) like the JS loop`, () => {
      const simd = simdKernels(backend)!;
      const src = tf.tensor(randomArray(rows * (cols + 3), rows), [rows, cols + 3]);
      const dst = tf.zeros([cols, rows + 2]);
      const ref = tf.zeros([cols, rows + 2]);
      simd.transpose(4 * heapIndex(backend, src), cols + 3, 4 * heapIndex(backend, dst), rows + 2, rows, cols);
      transposeMatrix(heapF32(backend), heapIndex(backend, src), cols + 3, heapIndex(backend, ref), rows + 2, rows, cols);
      expect(Array.from(dst.dataSync())).toEqual(Array.from(ref.dataSync()));
      tf.dispose([src, dst, ref]);
    });

    it(`softmax backward on ${rows} × ${cols} rows like the formula`, () => {
      const simd = simdKernels(backend)!;
      const a = tf.softmax(tf.tensor2d(randomArray(rows * cols, cols), [rows, cols]));
      const s = tf.tensor2d(randomArray(rows * cols, rows + 7), [rows, cols]);
      const expected = tf.mul(a, tf.sub(s, tf.sum(tf.mul(a, s), -1, true)));
      const out = tf.clone(s);
      simd.softmaxGradRows(4 * heapIndex(backend, a), 4 * heapIndex(backend, out), rows, cols);
      const e = expected.dataSync();
      const o = out.dataSync();
      for (let i = 0; i < e.length; i++) expect(Math.abs(o[i] - e[i])).toBeLessThan(1e-6);
      tf.dispose([a, s, expected, out]);
    });
  }
});
