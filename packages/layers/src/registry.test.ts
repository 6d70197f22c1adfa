import { describe, expect, it } from "vitest";
import { getLayer, registerLayer, registeredLayers } from "./registry";
import { Module } from "./module";

class Dummy extends Module {
  constructor(readonly channels: number) {
    super();
  }
  forward(): number {
    return this.channels;
  }
}

describe("layer registry", () => {
  it("registers, finds and lists factories", () => {
    registerLayer("dummy-attention", (c: number) => new Dummy(c));
    expect(registeredLayers()).toContain("dummy-attention");
    const layer = getLayer("dummy-attention")(12) as Dummy;
    expect(layer.forward()).toBe(12);
  });

  it("refuses a taken name unless overridden, and names the known ones on a miss", () => {
    registerLayer("taken", () => new Dummy(1));
    expect(() => registerLayer("taken", () => new Dummy(2))).toThrow(/already registered/);
    registerLayer("taken", () => new Dummy(3), { override: true });
    expect((getLayer("taken")() as Dummy).channels).toBe(3);
    expect(() => getLayer("nope")).toThrow(/No layer registered as 'nope' \(registered: .*taken/);
  });

  it("shares one registry through globalThis", () => {
    registerLayer("global-check", () => new Dummy(4));
    const g = globalThis as unknown as Record<symbol, Map<string, unknown>>;
    expect(g[Symbol.for("@gan/layers/registry")].has("global-check")).toBe(true);
  });
});
