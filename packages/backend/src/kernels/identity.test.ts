import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { registerTrainingKernels } from "../register-training-kernels";

describe("wasm Identity", () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend("wasm");
  });

  it("shares the data, which lives until the last tensor using it is disposed", () => {
    const data = tf.engine().backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(data + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(data);
  });

  it("keeps variables independent of the tensors they were made from or assigned", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(tf.clone(x));
    v.assign(tf.tidy(() => tf.add(v, 1)));
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([2, 3, 4]);
    tf.dispose([x, v]);
  });

  it("copies strings through the stock kernel", () => {
    const s = tf.tensor1d(["a", "b"], "string");
    const c = tf.clone(s);
    expect(c.arraySync()).toEqual(["a", "b"]);
    tf.dispose([s, c]);
  });
});
