import "@tensorflow/tfjs-backend-cpu";
import { LatentGap } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createDiscriminator, createGenerator } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("GeneratorConfig.latentGap (DCGAN)", () => {
  it("moves the codes into separate modes before layer 1; same state dict; the discriminator does not take it", () => {
    const plain = createGenerator({ width: 4, seed: 2 });
    const gapped = createGenerator({ width: 4, seed: 2, latentGap: { dims: 1, gap: 1 } });
    expect(plain.latentGap).toBeUndefined();
    expect(gapped.latentGap?.gap).toBe(1);
    expect(Object.keys(gapped.stateDict())).toEqual(Object.keys(plain.stateDict()));
    plain.eval();
    gapped.eval();
    const z = tf.randomNormal([3, 20], 0, 1, "float32", 4);
    const moved = new LatentGap({ dims: 1, gap: 1 }).forward(z);
    const a = gapped.forward(z).images;
    const b = plain.forward(moved).images;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBe(0);
    tf.dispose([z, moved, a, b]);
    plain.dispose();
    gapped.dispose();

    expect(() => createGenerator({ width: 4, zDim: 2, latentGap: { dims: 3 } })).toThrow(/DcganGenerator: option 'latentGap' splits 3 coordinates but zDim is 2/);
    expect(() => createDiscriminator({ width: 4, latentGap: {} } as never)).toThrow(/DcganDiscriminator: unknown option 'latentGap'/);
  });
});
