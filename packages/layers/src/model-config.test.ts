import { describe, expect, it } from "vitest";
import { resolveModelConfig } from "./model-config";
import { Random } from "./random";

describe("resolveModelConfig", () => {
  it("fills in the reference defaults: z_dim 20, width 64, 1 channel, weights_init", () => {
    const c = resolveModelConfig({}, "test");
    expect(c).toMatchObject({ zDim: 20, width: 64, channels: 1, init: "dcgan" });
    expect(c.random).toBeInstanceOf(Random);
  });

  it("builds the random source from the seed, or takes the one given", () => {
    const a = resolveModelConfig({ seed: 5 }, "test").random;
    const b = resolveModelConfig({ seed: 5 }, "test").random;
    expect(a.nextSeed()).toBe(b.nextSeed());
    const r = new Random(1);
    expect(resolveModelConfig({ random: r }, "test").random).toBe(r);
  });

  it.each([
    [{ zDim: 0 }, "option 'zDim' must be an integer in [1, 1024], got 0"],
    [{ width: 2.5 }, "option 'width' must be an integer in [1, 256], got 2.5"],
    [{ width: 1000 }, "option 'width' must be an integer in [1, 256], got 1000"],
    [{ zDim: 1025 }, "option 'zDim' must be an integer in [1, 1024], got 1025"],
    [{ channels: 2 }, "option 'channels' must be 1 or 3, got 2"],
    [{ init: "xavier" }, `option 'init' must be "dcgan" or "pytorch", got "xavier"`],
    [{ seed: 1, random: new Random(1) }, "give option 'seed' or option 'random', not both"],
    [{ seed: 0.5 }, "option 'seed' must be an integer, got 0.5"],
    [{ random: {} }, "option 'random' must be a Random from @gan/layers"],
    [{ imageSize: 64 }, "unknown option 'imageSize' (known options: zDim, width, channels, init, seed, random)"],
  ])("rejects %j", (config, message) => {
    expect(() => resolveModelConfig(config as never, "MyModel")).toThrow(`MyModel: ${message}`);
  });

  it("accepts the caller's extra options", () => {
    expect(() => resolveModelConfig({ attention: 1 } as never, "test", ["attention"])).not.toThrow();
  });
});
