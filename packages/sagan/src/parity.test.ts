import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { loadWeights } from "@gan/layers/node";
import { hingeLoss } from "@gan/losses";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { discriminatorParity, expectParity, generatorParity, readFixture } from "../../dcgan/test/model-parity";
import { SaganDiscriminator } from "./discriminator";
import { SaganGenerator } from "./generator";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const hinge = hingeLoss();

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SAGAN parity with the PyTorch reference (tools/parity/make_model_fixtures.py)", () => {
  const g = readFixture(fixture("generator.parity.safetensors"));
  const d = readFixture(fixture("discriminator.parity.safetensors"));
  const width = Number(g.metadata.image_size);

  it("the fixtures are the reference at a small width, with attention that matters", () => {
    expect(g.metadata).toMatchObject({ model: "sagan", image_size: "16", z_dim: "20" });
    expect(d.metadata.image_size).toBe(String(width));
    // Not the near-uniform maps of a fresh weights_init: the attention path is really exercised.
    expect(tf.max(g.tensors["train.attention1"]).dataSync()[0]).toBeGreaterThan(0.5);
  });

  it("generator: a converted PyTorch checkpoint loads strictly; images, attention maps, spectral-norm and BatchNorm buffers, hinge gradients and eval mode agree", async () => {
    const G = new SaganGenerator({ width, seed: 99 });
    const D = new SaganDiscriminator({ width, seed: 98 });
    await loadWeights(G, fixture("generator.init.safetensors"), { strict: true });
    await loadWeights(D, fixture("discriminator.init.safetensors"), { strict: true });
    const errors = generatorParity(G, D, g.tensors, (fake) => hinge.generatorLoss(fake));
    expect(Object.keys(errors.gradients)).toHaveLength(G.parameters().length + 1);
    expect(errors.forward).toHaveProperty(["after.layer1.0.weight_u"]);
    expect(errors.forward).toHaveProperty(["train.attention2"]);
    expect(errors.forward).toHaveProperty(["eval.attention1"]);
    expectParity(errors, "sagan generator");
    G.dispose();
    D.dispose();
  });

  it("discriminator: logits and attention maps of two train-mode forwards, u/v after both, hinge gradients w.r.t. parameters and inputs, eval mode agree", async () => {
    const D = new SaganDiscriminator({ width, seed: 97 });
    await loadWeights(D, fixture("discriminator.init.safetensors"), { strict: true });
    const errors = discriminatorParity(D, d.tensors, (real, fake) => hinge.discriminatorLoss(real, fake));
    expect(Object.keys(errors.gradients)).toHaveLength(D.parameters().length + 2);
    expect(errors.forward).toHaveProperty(["after.layer4.0.weight_v"]);
    expect(errors.forward).toHaveProperty(["train.fake.attention2"]);
    expectParity(errors, "sagan discriminator");
    D.dispose();
  });
});
