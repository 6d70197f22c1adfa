import "@tensorflow/tfjs-backend-cpu";
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import * as sagan from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("@gan/sagan", () => {
  it("exports the models, their factories and the layers they are built from", () => {
    for (const name of [
      "createGenerator",
      "createDiscriminator",
      "SaganGenerator",
      "SaganDiscriminator",
      "FlexibleSaganGenerator",
      "FlexibleSaganDiscriminator",
      "SelfAttention2d",
      "spectralNorm",
      "Conv2d",
      "ConvTranspose2d",
      "BatchNorm2d",
      "Sequential",
      "Module",
      "Random",
      "manualSeed",
      "weightsToBytes",
      "loadWeightsFromBytes",
      "dcganInit",
    ]) {
      expect(typeof (sagan as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("no longer re-exports the trainer, the data pipeline, the losses or DCGAN (it depends on spec and layers only)", () => {
    for (const name of ["train", "GanTrainer", "DataLoader", "prepareMnist", "hingeLoss", "DcganGenerator", "createDcganGenerator"]) {
      expect((sagan as Record<string, unknown>)[name], name).toBeUndefined();
    }
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["@gan/layers", "@gan/spec"]);
  });
});
