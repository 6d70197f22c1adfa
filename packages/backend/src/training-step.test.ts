// The real SAGAN training step (GanTrainer: D step on real and fake, G step) on the wasm backend with every
// training kernel of this package on, fused attention included: no tensor or wasm buffer growth over 20
// iterations, and the fused attention's gradients equal those through the attention map.
import { Random, SelfAttention2d } from "@gan/layers";
import { hingeLoss } from "@gan/losses";
import { createDiscriminator, createGenerator } from "@gan/sagan";
import { GanTrainer, arrayDataSource } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { FUSED_ATTENTION } from "./kernels/fused-attention";
import { registerTrainingKernels, trainingKernelsRegistered } from "./register-training-kernels";
import { countWasmKernelCalls, randomArray, relativeError } from "./test-utils";

describe("SAGAN training on wasm with the fast kernels", () => {
  beforeAll(async () => {
    registerTrainingKernels();
    await tf.setBackend("wasm");
  });

  it("leaves tensors and wasm buffers flat over 20 iterations", async () => {
    expect(trainingKernelsRegistered()).toBe(true);
    // Width 4, batch 4: the reference's layout (attention after layers 3 and 4, 16×16 and 32×32 maps in G).
    const generator = createGenerator({ width: 4, seed: 1 });
    const discriminator = createDiscriminator({ width: 4, seed: 2 });
    const images = tf.randomUniform([4, 64, 64, 1], -1, 1, "float32", 3) as tf.Tensor4D;
    const trainer = new GanTrainer({
      generator,
      discriminator,
      loss: hingeLoss(),
      data: arrayDataSource(images, { batchSize: 4 }),
      epochs: 1,
      seed: 0,
      fixedNoiseSize: 1,
      callbacks: [],
    });
    // Count the fused kernel's runs: the steps must take the fast path.
    const fused = countWasmKernelCalls(FUSED_ATTENTION);
    try {
      await trainer.trainStep(images);
      expect(fused.calls()).toBe(10); // G's 2 blocks × 2 forwards (D step, G step) + D's 2 blocks × 3 (real, fake, G step)
      const before = { tensors: tf.memory().numTensors, data: tf.engine().backend.numDataIds(), bytes: tf.memory().numBytes };
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const values = await trainer.trainStep(images);
        losses.push(values.dLoss, values.gLoss);
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(tf.memory().numTensors).toBe(before.tensors);
      expect(tf.engine().backend.numDataIds()).toBe(before.data);
      expect(tf.memory().numBytes).toBe(before.bytes);
    } finally {
      fused.restore();
      trainer.dispose();
      images.dispose();
      generator.dispose();
      discriminator.dispose();
    }
  });

  it("gives SelfAttention2d the same output and gradients with the fused kernel as through the map", () => {
    const layer = new SelfAttention2d(16, { random: new Random(5) });
    tf.tidy(() => layer.gamma.assign(tf.tensor1d([0.7])));
    const x = tf.variable(tf.tensor4d(randomArray(3 * 5 * 7 * 16, 6), [3, 5, 7, 16]), true);
    const r = tf.tensor4d(randomArray(3 * 5 * 7 * 16, 7), [3, 5, 7, 16]);
    const vars = [x, ...layer.parameters()];
    const run = (attentionMaps: boolean) =>
      tf.variableGrads(() => {
        const out = layer.forward(x as tf.Tensor4D, { attentionMaps });
        return tf.sum(tf.mul(out.output, r)) as tf.Scalar;
      }, vars);
    const withMap = run(true);
    const fused = run(false); // no map wanted: the fused kernel
    expect(relativeError(fused.value.dataSync(), withMap.value.dataSync())).toBeLessThan(1e-5);
    for (const v of vars) {
      // The query bias's gradient is rounding noise around 0 on both paths (the softmax cancels it).
      if (v === layer.queryConv.getParameter("bias")) continue;
      expect(relativeError(fused.grads[v.name].dataSync(), withMap.grads[v.name].dataSync()), v.name).toBeLessThan(1e-4);
    }
    tf.dispose([x, r, withMap.value, fused.value, ...Object.values(withMap.grads), ...Object.values(fused.grads)]);
    layer.dispose();
  });
});
