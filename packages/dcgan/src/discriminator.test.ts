import { fileURLToPath } from "node:url";
import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { readFixture } from "../test/model-parity";
import { DcganDiscriminator } from "./discriminator";
import { createDiscriminator } from "./index";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("DcganDiscriminator", () => {
  it("has PyTorch's state-dict names (a bare Conv2d as `last`), in PyTorch's order", () => {
    const D = new DcganDiscriminator({ width: 16, seed: 1 });
    const reference = readFixture(fixture("discriminator.init.safetensors")).tensors;
    expect(Object.keys(D.stateDict())).toEqual(Object.keys(reference));
    expect(Object.keys(D.stateDict())).toContain("last.weight");
    for (const [name, t] of Object.entries(D.stateDict())) expect(t.shape, name).toEqual(reference[name].shape);
    tf.dispose(Object.values(reference));
    D.dispose();
  });

  it("has as many parameters as the reference Discriminator(z_dim=20, image_size=64)", () => {
    const counts = JSON.parse(readFileSync(fixture("param-counts.json"), "utf8"));
    const D = createDiscriminator({ seed: 0 });
    expect(D.numParameters()).toBe(counts.discriminator);
    expect(D.numParameters()).toBe(2762689);
    D.dispose();
  });

  it("scores [B, 64, 64, C] images with one logit each", () => {
    const D = createDiscriminator({ width: 2, channels: 3, seed: 2 });
    const x = tf.randomUniform([3, 64, 64, 3], -1, 1, "float32", 1) as tf.Tensor4D;
    const { logits, attentionMaps } = D.forward(x);
    expect(logits.shape).toEqual([3]);
    expect(attentionMaps).toEqual([]);
    const v = logits.dataSync();
    expect(v[0]).not.toBe(v[1]);
    tf.dispose([x, logits]);
    D.dispose();
  });

  it("rejects images of the wrong size, channels or dtype, naming what it expects", () => {
    const D = createDiscriminator({ width: 1 });
    const cases: Array<[tf.Tensor, string]> = [
      [tf.zeros([1, 32, 32, 1]), "images must be [B, 64, 64, 1] (NHWC), got [1,32,32,1]"],
      [tf.zeros([1, 64, 64, 3]), "images must be [B, 64, 64, 1] (NHWC), got [1,64,64,3]"],
      [tf.zeros([1, 1, 64, 64]), "images must be [B, 64, 64, 1] (NHWC), got [1,1,64,64]"],
      [tf.zeros([1, 64, 64, 1], "int32"), "images must be float32, got int32"],
    ];
    for (const [x, message] of cases) expect(() => D.forward(x as tf.Tensor4D)).toThrow(`DcganDiscriminator.forward: ${message}`);
    tf.dispose(cases.map(([x]) => x));
    D.dispose();
  });

  it("leaks no tensors over forward and backward passes", () => {
    const D = createDiscriminator({ width: 1, seed: 3 });
    const x = tf.randomUniform([2, 64, 64, 1], -1, 1, "float32", 1) as tf.Tensor4D;
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean<tf.Scalar>(D.forward(x).logits), D.parameters());
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    D.dispose();
  });
});
