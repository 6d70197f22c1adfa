import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { type FlexibleSaganGenerator, LatentGap, createDiscriminator, createGenerator } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SaganConfig.latentGap", () => {
  it("the generator moves the codes into separate modes before layer 1; the state dict is unchanged", () => {
    const plain = createGenerator({ width: 4, seed: 3, workingSize: 32, attentionAfter: [3] }) as FlexibleSaganGenerator;
    const gapped = createGenerator({ width: 4, seed: 3, workingSize: 32, attentionAfter: [3], latentGap: { dims: 2 } }) as FlexibleSaganGenerator;
    expect(plain.latentGap).toBeUndefined();
    expect(gapped.latentGap).toBeInstanceOf(LatentGap);
    expect(gapped.latentGap?.dims).toBe(2);
    expect(Object.keys(gapped.stateDict())).toEqual(Object.keys(plain.stateDict()));
    plain.eval();
    gapped.eval();
    const z = tf.randomNormal([4, 20], 0, 1, "float32", 9);
    const moved = new LatentGap({ dims: 2 }).forward(z);
    const a = gapped.forward(z);
    const b = plain.forward(moved);
    // Same weights (same seed): the gapped generator on z is the plain one on the moved codes.
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.images, b.images))).dataSync()[0])).toBe(0);
    const c = plain.forward(z);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a.images, c.images))).dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([z, moved, a.images, b.images, c.images, ...a.attentionMaps, ...b.attentionMaps, ...c.attentionMaps]);
    plain.dispose();
    gapped.dispose();
  });

  it("gradients reach every generator parameter through the gap", () => {
    const G = createGenerator({ width: 4, seed: 4, attentionAfter: [3], latentGap: {} });
    const z = tf.randomNormal([3, 20], 0, 1, "float32", 2);
    const params = G.namedParameters();
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(G.forward(z).images)) as tf.Scalar, params.map(([, v]) => v));
    for (const [name, v] of params) {
      // With γ = 0 the attention's query, key and value convolutions do not affect the output yet.
      if (name.startsWith("self_attntion") && !name.endsWith("gamma")) continue;
      expect(tf.tidy(() => tf.sum(tf.abs(grads[v.name])).dataSync()[0]), name).toBeGreaterThan(0);
    }
    tf.dispose([z, value, ...Object.values(grads)]);
    G.dispose();
  });

  it("rejects bad gaps naming the option, and the discriminator refuses it", () => {
    expect(() => createGenerator({ width: 4, latentGap: { dims: 21 } })).toThrow(/SaganGenerator: option 'latentGap' splits 21 coordinates but zDim is 20/);
    expect(() => createGenerator({ width: 4, latentGap: { scale: -1 } })).toThrow(
      /SaganGenerator: option 'latentGap': LatentGap option 'scale' must be a finite number > 0, got -1/,
    );
    expect(() => createGenerator({ width: 4, latentGap: 2 as unknown as object })).toThrow(/SaganGenerator: option 'latentGap' must be an object/);
    expect(() => createDiscriminator({ width: 4, latentGap: {} })).toThrow(/SaganDiscriminator: option 'latentGap' belongs to the generator/);
  });
});
