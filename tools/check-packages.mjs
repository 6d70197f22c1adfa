#!/usr/bin/env node
// Checks that every publishable package (packages/*, not private) is what npm users will get right:
//   1. `pnpm pack` it (as `pnpm publish` would: workspace:^ ranges rewritten) into a temporary folder;
//   2. the tarball holds only dist/, README.md, CHANGELOG.md, LICENSE and package.json, with the ESM and CJS
//      entry points and both declaration files, and no `workspace:` range is left;
//   3. publint --strict (every warning is an error) on the tarball;
//   4. @arethetypeswrong/cli on the tarball, profile "strict": the types must resolve under node10 (`main`/`types`),
//      node16 from CJS (.d.cts), node16 from ESM (.d.ts) and bundler resolution. No rule is ignored: the `./node`
//      subpaths are visible to node10 through `typesVersions`.
// Then prints each tarball's size. Run after `pnpm build`:
//   node tools/check-packages.mjs [@gan/name ...]       (pnpm check:packages)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);

/** The publishable packages of the workspace: `{ name, dir, manifest }`, sorted by folder. */
export function publishablePackages() {
  return readdirSync(join(root, "packages"))
    .sort()
    .map((d) => join(root, "packages", d))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => !manifest.private)
    .map(({ dir, manifest }) => ({ name: manifest.name, dir, manifest }));
}

/** Runs a command; returns its status and output (stdout and stderr). */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", shell: process.platform === "win32", ...options });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** `pnpm pack`s the package in `dir` into `dest`; returns the tarball's path and its file list. */
export function pack(dir, dest) {
  const r = run("pnpm", ["pack", "--pack-destination", dest, "--json"], { cwd: dir });
  if (r.status !== 0) throw new Error(`pnpm pack failed in ${dir}:\n${r.out}`);
  const info = JSON.parse(r.out.slice(r.out.indexOf("{")));
  return { tarball: info.filename, files: info.files.map((f) => f.path).sort() };
}

// weights/*.safetensors|json: model weights a package ships as data (@gan/metrics' digit classifier).
const ALLOWED = /^(dist\/.+|weights\/[^/]+\.(safetensors|json)|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/;
const REQUIRED = ["package.json", "README.md", "LICENSE"];

/** Problems with the packed file list and manifest. */
function contentProblems(pkg, files, tarball) {
  const problems = [];
  for (const f of files) if (!ALLOWED.test(f)) problems.push(`unexpected file in the tarball: ${f}`);
  for (const f of REQUIRED) if (!files.includes(f)) problems.push(`missing from the tarball: ${f}`);
  const exp = pkg.manifest.exports?.["."];
  for (const target of [exp?.import?.types, exp?.import?.default, exp?.require?.types, exp?.require?.default]) {
    if (!target) problems.push(`exports["."] lacks an import/require types/default target`);
    else if (!files.includes(target.replace(/^\.\//, ""))) problems.push(`exports target ${target} is not in the tarball`);
  }
  // The manifest inside the tarball: pnpm must have replaced every workspace: range by a version.
  const manifest = run("tar", ["-xzOf", tarball, "package/package.json"]);
  if (manifest.status !== 0) problems.push(`cannot read package.json from ${tarball}`);
  else if (manifest.out.includes("workspace:")) problems.push("the packed package.json still has a workspace: range");
  return problems;
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function main(argv) {
  const wanted = new Set(argv.filter((a) => !a.startsWith("-")));
  const packages = publishablePackages().filter((p) => wanted.size === 0 || wanted.has(p.name));
  if (packages.length === 0) throw new Error(`no package matches ${[...wanted].join(", ")}`);
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, "dist")));
  if (unbuilt.length > 0) throw new Error(`not built: ${unbuilt.map((p) => p.name).join(", ")} (run pnpm build first)`);

  const dest = mkdtempSync(join(tmpdir(), "gan-check-packages-"));
  const failures = [];
  const sizes = [];
  try {
    for (const pkg of packages) {
      console.log(`\n=== ${pkg.name}`);
      const { tarball, files } = pack(pkg.dir, dest);
      const problems = contentProblems(pkg, files, tarball);
      for (const p of problems) console.log(`  contents: ${p}`);
      console.log(`  contents: ${files.length} files (${problems.length === 0 ? "ok" : "FAILED"})`);

      const publint = run(bin("publint"), ["run", tarball, "--strict"], { cwd: pkg.dir });
      console.log(publint.out.trim().replace(/^/gm, "  publint: "));

      // Data subpaths (weights files) are not modules: attw checks only the JavaScript entry points.
      const dataEntries = Object.entries(pkg.manifest.exports ?? {})
        .filter(([, target]) => typeof target === "string" && /\.safetensors$/.test(target))
        .map(([key]) => key);
      const exclude = dataEntries.length ? ["--exclude-entrypoints", ...dataEntries] : [];
      const attw = run(bin("attw"), [tarball, "--profile", "strict", "--format", "table-flipped", "--no-color", "--no-emoji", ...exclude]);
      console.log(attw.out.trim().replace(/^/gm, "  attw: "));

      const unpacked = files.reduce((s, f) => s + statSync(join(pkg.dir, f)).size, 0);
      sizes.push({ name: pkg.name, packed: statSync(tarball).size, unpacked, files: files.length });
      if (problems.length > 0) failures.push(`${pkg.name}: contents`);
      if (publint.status !== 0) failures.push(`${pkg.name}: publint`);
      if (attw.status !== 0) failures.push(`${pkg.name}: attw`);
    }
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }

  console.log("\npackage          tarball     unpacked    files");
  for (const s of sizes) console.log(`${s.name.padEnd(16)} ${kib(s.packed).padStart(10)} ${kib(s.unpacked).padStart(11)} ${String(s.files).padStart(8)}`);
  const total = sizes.reduce((a, s) => a + s.packed, 0);
  console.log(`${"total".padEnd(16)} ${kib(total).padStart(10)}`);
  if (failures.length > 0) {
    console.log(`\ncheck:packages FAILED: ${failures.join("; ")}`);
    return 1;
  }
  console.log(`\ncheck:packages: ${sizes.length} packages pass the contents check, publint --strict and attw (strict profile)`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`check:packages: ${e.message}`);
    process.exitCode = 1;
  }
}
