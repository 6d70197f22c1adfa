import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import * as sagan from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("@gan/sagan, the package to install first", () => {
  it("re-exports what building, sampling, saving and training a GAN needs", () => {
    for (const name of [
      "createGenerator",
      "createDiscriminator",
      "createDcganGenerator",
      "createDcganDiscriminator",
      "SaganGenerator",
      "DcganGenerator",
      "SelfAttention2d",
      "spectralNorm",
      "Conv2d",
      "ConvTranspose2d",
      "BatchNorm2d",
      "Sequential",
      "Module",
      "Random",
      "manualSeed",
      "saveWeights",
      "loadWeights",
      "hingeLoss",
      "bceLoss",
      "dcganInit",
    ]) {
      expect(typeof (sagan as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("the DCGAN factories build DCGANs and the SAGAN ones SAGANs", () => {
    const d = sagan.createDcganGenerator({ width: 1 });
    const s = sagan.createGenerator({ width: 1 });
    expect(d).toBeInstanceOf(sagan.DcganGenerator);
    expect(s).toBeInstanceOf(sagan.SaganGenerator);
    d.dispose();
    s.dispose();
  });
});
