import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** Each publishable package's runtime `@gan/*` dependencies, from the package.json files. */
function actualGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of readdirSync(join(root, "packages"))) {
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
    if (manifest.private) continue;
    const deps = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith("@gan/"));
    graph.set(manifest.name, deps.map((d) => d.slice("@gan/".length)).sort());
  }
  return graph;
}

/** The README's "depends on" table: `| \`@gan/a\`, \`@gan/b\` | \`x\`, \`y\` (...) |`. */
function readmeGraph(): Map<string, string[]> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("| package | depends on (`@gan/*`) |");
  expect(start, "the README's dependency table").toBeGreaterThan(0);
  const graph = new Map<string, string[]>();
  for (const line of readme.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const [names, deps] = line.split("|").slice(1, 3);
    const targets = [...deps.replace(/\(.*\)/, "").matchAll(/`([a-z]+)`/g)].map((m) => m[1]).sort();
    for (const m of names.matchAll(/`(@gan\/[a-z]+)`/g)) graph.set(m[1], targets);
  }
  return graph;
}

describe("the README's dependency graph", () => {
  it("matches the package.json files", () => {
    const actual = actualGraph();
    expect(Object.fromEntries(readmeGraph())).toEqual(Object.fromEntries(actual));
  });

  it("models depend only on the contracts and layers; main libraries never on the CLI", () => {
    const actual = actualGraph();
    for (const model of ["@gan/dcgan", "@gan/sagan"]) expect(actual.get(model)).toEqual(["layers", "spec"]);
    for (const [name, deps] of actual) if (name !== "@gan/cli") expect(deps, name).not.toContain("cli");
    // No cycles.
    const visiting = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) throw new Error(`cycle: ${[...path, name].join(" -> ")}`);
      for (const dep of actual.get(name) ?? []) visit(`@gan/${dep}`, [...path, name]);
      visiting.add(name);
    };
    for (const name of actual.keys()) visit(name, []);
  });
});
