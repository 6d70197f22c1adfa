import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { loadWeights } from "@gan/layers/node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { discriminatorParity, expectParity, generatorParity, readFixture } from "../test/model-parity";
import { DcganDiscriminator } from "./discriminator";
import { DcganGenerator } from "./generator";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** `BCEWithLogitsLoss(reduction='mean')` against a constant label, in its numerically stable form. */
function bce(logits: tf.Tensor, label: number): tf.Scalar {
  return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, label)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("DCGAN parity with the PyTorch reference (tools/parity/make_model_fixtures.py)", () => {
  const g = readFixture(fixture("generator.parity.safetensors"));
  const d = readFixture(fixture("discriminator.parity.safetensors"));
  const width = Number(g.metadata.image_size);

  it("the fixtures are the reference at a small width", () => {
    expect(g.metadata).toMatchObject({ model: "dcgan", image_size: "16", z_dim: "20" });
    expect(d.metadata.image_size).toBe(String(width));
  });

  it("generator: PyTorch's state dict loads strictly; train-mode images, BatchNorm statistics, BCE gradients and eval-mode images agree", async () => {
    const G = new DcganGenerator({ width, seed: 99 });
    const D = new DcganDiscriminator({ width, seed: 98 });
    await loadWeights(G, fixture("generator.init.safetensors"), { strict: true });
    await loadWeights(D, fixture("discriminator.init.safetensors"), { strict: true });
    const errors = generatorParity(G, D, g.tensors, (fake) => bce(fake, 1));
    expect(Object.keys(errors.gradients)).toHaveLength(G.parameters().length + 1);
    expect(errors.forward).toHaveProperty(["after.layer1.1.running_var"]);
    expectParity(errors, "dcgan generator");
    G.dispose();
    D.dispose();
  });

  it("discriminator: real and fake logits, BCE gradients w.r.t. parameters and both inputs, eval mode agree", async () => {
    const D = new DcganDiscriminator({ width, seed: 97 });
    await loadWeights(D, fixture("discriminator.init.safetensors"), { strict: true });
    const errors = discriminatorParity(D, d.tensors, (real, fake) => tf.add(bce(real, 1), bce(fake, 0)));
    expect(Object.keys(errors.gradients)).toHaveLength(D.parameters().length + 2);
    expectParity(errors, "dcgan discriminator");
    D.dispose();
  });
});
