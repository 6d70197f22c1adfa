import "@tensorflow/tfjs-backend-cpu";
import { hingeLoss } from "@gan/losses";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createDiscriminator, createGenerator } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("memory", () => {
  it.each([
    ["the reference generator", {}],
    ["a generator with a latent gap, working at 32×32", { latentGap: {}, workingSize: 32 as const }],
  ])("20 SAGAN iterations (D step on real and fake, then G step, with gradients) leave the tensor count flat: %s", (_, extra) => {
    // Attention after layers 2 and 3 rather than 3 and 4: the same code paths, without the cpu backend's slow
    // softmax over 32×32 = 1024 positions.
    const G = createGenerator({ width: 2, seed: 1, attentionAfter: [2, 3], ...extra });
    const D = createDiscriminator({ width: 2, seed: 2 });
    const loss = hingeLoss();
    const real = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 3) as tf.Tensor4D;
    const z = tf.randomNormal([2, 20], 0, 1, "float32", 4);
    const iteration = () => {
      const d = tf.variableGrads(() => {
        const fake = G.forward(z);
        return loss.discriminatorLoss(D.forward(real).logits, D.forward(fake.images).logits);
      }, D.parameters());
      const g = tf.variableGrads(() => loss.generatorLoss(D.forward(G.forward(z).images).logits), G.parameters());
      tf.dispose([d.value, g.value, ...Object.values(d.grads), ...Object.values(g.grads)]);
    };
    iteration();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) iteration();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([real, z]);
    G.dispose();
    D.dispose();
  });
});
