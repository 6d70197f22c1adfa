import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type NodeOnlyImport, nodeOnlyImports } from "./browser-bundle";

const here = fileURLToPath(new URL("..", import.meta.url));
const packagesDir = join(here, "..", "..", "packages");

/** The Node-only entry points: the CLI, and each package's `./node` subpath. */
const NODE_ONLY_PACKAGES = ["@gan/cli"];

const manifests = readdirSync(packagesDir)
  .map((dir) => JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8")) as { name: string; private?: boolean; exports: Record<string, unknown> })
  .filter((m) => !m.private);
const browserPackages = manifests.filter((m) => !NODE_ONLY_PACKAGES.includes(m.name));

function describeImports(found: NodeOnlyImport[]): string {
  return found.map((f) => `${f.specifier} (${f.reason}) imported by ${f.importer}`).join("\n");
}

describe("browser bundles of the built packages (esbuild, platform browser, no Node polyfills)", () => {
  it("checks every publishable package but the CLI", () => {
    const own = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).devDependencies as Record<string, string>;
    expect(browserPackages.map((m) => m.name).sort()).toEqual(Object.keys(own).filter((n) => n.startsWith("@gan/")).sort());
  });

  for (const { name } of browserPackages) {
    it(`${name}: the main entry reaches no Node built-in and no native module`, async () => {
      const found = await nodeOnlyImports(`export * from "${name}";`, here);
      expect(describeImports(found)).toBe("");
    });
  }

  it("all main entries bundle together (one tfjs engine, one page)", async () => {
    const source = browserPackages.map((m, i) => `export * as p${i} from "${m.name}";`).join("\n");
    expect(describeImports(await nodeOnlyImports(source, here))).toBe("");
  });

  // The check itself: the Node entry points do reach Node, and are reported with the file that imports them.
  for (const m of manifests.filter((m) => "./node" in m.exports)) {
    it(`${m.name}/node is reported as Node-only`, async () => {
      const found = await nodeOnlyImports(`export * from "${m.name}/node";`, here);
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((f) => f.importer.length > 0)).toBe(true);
    });
  }
});
