import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  type Layer4D,
  LeakyReLU,
  ReLU,
  Random,
  Sequential,
  Tanh,
  dcganInit,
} from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const ITERATIONS = 50;
const random = new Random(11);
const x8 = random.normal([2, 4, 4, 3]) as tf.Tensor4D;
const x1 = random.normal([2, 1, 1, 5]) as tf.Tensor4D;

afterAll(() => tf.dispose([x8, x1]));

/**
 * A bare forward (outside any tidy, so intermediates it failed to free would show) and two forward + backward
 * passes of `sum(layer(x)²)`: `tf.variableGrads` w.r.t. the input (as a variable) and every parameter, then
 * `tf.grad` w.r.t. the input. Disposes everything they return.
 */
function step(layer: Layer4D, x: tf.Variable): void {
  const input = x as unknown as tf.Tensor4D;
  tf.dispose(layer.forward(input));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.forward(input))), [x, ...layer.parameters()]);
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(layer.forward(t as tf.Tensor4D))))(x);
  tf.dispose([value, dx, ...Object.values(grads)]);
}

describe("no tensor leaks", () => {
  const cases: Array<[string, () => Layer4D, tf.Tensor4D]> = [
    ["Conv2d k4 s2 p1", () => new Conv2d(3, 2, 4, { stride: 2, padding: 1, random }), x8],
    ["Conv2d without bias", () => new Conv2d(3, 2, 1, { bias: false, random }), x8],
    ["ConvTranspose2d k4 s1 p0 from 1×1", () => new ConvTranspose2d(5, 3, 4, { random }), x1],
    ["ConvTranspose2d k3 s2 p1 outputPadding 1", () => new ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1, random }), x8],
    ["BatchNorm2d (training)", () => new BatchNorm2d(3), x8],
    ["BatchNorm2d (eval)", () => new BatchNorm2d(3).eval(), x8],
    ["ReLU", () => new ReLU(), x8],
    ["LeakyReLU", () => new LeakyReLU(0.2), x8],
    ["Tanh", () => new Tanh(), x8],
    [
      "nested Sequential",
      () =>
        new Sequential(
          new Sequential(new ConvTranspose2d(3, 4, 4, { stride: 2, padding: 1, random }), new BatchNorm2d(4), new ReLU()),
          new Conv2d(4, 3, 4, { stride: 2, padding: 1, random }),
          new Tanh(),
        ),
      x8,
    ],
  ];

  for (const [name, make, x] of cases) {
    it(`${name}: ${ITERATIONS} forward+backward iterations keep numTensors flat`, () => {
      const layer = make();
      const input = tf.variable(x);
      step(layer, input);
      const before = tf.memory().numTensors;
      for (let i = 0; i < ITERATIONS; i++) step(layer, input);
      expect(tf.memory().numTensors).toBe(before);
      layer.dispose();
      input.dispose();
    });
  }

  it("optimizer.minimize over a model with BatchNorm keeps numTensors flat and updates running stats", () => {
    const model = dcganInit(
      new Sequential(new Conv2d(3, 4, 3, { padding: 1, random }), new BatchNorm2d(4), new LeakyReLU(0.1)),
      random,
    );
    const optimizer = tf.train.adam(1e-3, 0.5, 0.999);
    const loss = () => tf.mean(tf.square(model.forward(x8))) as tf.Scalar;
    const minimize = () => optimizer.minimize(loss, true, model.parameters())?.dispose();
    minimize();
    const before = tf.memory().numTensors;
    for (let i = 0; i < ITERATIONS; i++) minimize();
    expect(tf.memory().numTensors).toBe(before);
    const bn = model.get(1) as BatchNorm2d;
    expect(bn.getBuffer("num_batches_tracked").dataSync()[0]).toBe(ITERATIONS + 1);
    optimizer.dispose();
    model.dispose();
  });
});
