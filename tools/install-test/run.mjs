#!/usr/bin/env node
// The install test: does `npm install @gan/sagan` work in somebody else's project?
//   1. `pnpm pack` every publishable package (workspace:^ ranges become versions, as on publish) and print the sizes;
//   2. create a project with `npm init -y` in the OS temporary folder, outside the workspace (no pnpm, no workspace
//      links, no hoisting from our node_modules), and `npm install` @gan/sagan, @gan/trainer, @gan/data, @gan/recipes,
//      @gan/backend and the @gan packages they depend on from those tarballs, plus @tensorflow/tfjs-core and the CPU backend (peers the user brings) and
//      sharp (which the scripts use to write their images);
//   3. run esm.mjs (ES module) and cjs.cjs (CommonJS) there: build a tiny SAGAN, train it a few steps on a generated
//      image folder, save, load into a fresh model, sample a PNG and decode it;
//   4. the README's "Use it in your project" program, read from README.md (the blocks after `<!-- install-test: ... -->`,
//      see readme-snippets.mjs) and saved verbatim, run in every form a user may give it, each in a folder of its own,
//      with a time limit of SNIPPET_MINUTES (the program's first argument) instead of 5 minutes: main.mjs, main.js (the
//      project is made by `npm init -y`, so CommonJS), main.cjs, main.ts with `npx tsx`, main.ts compiled by `tsc`
//      (NodeNext) and run with node; main.mjs once more, which resumes; main.ts type-checked in a "type": "module"
//      project too. TypeScript, tsx and @types/node come from the registry (TS_TOOLS).
// Needs the npm registry and a build (`pnpm build`). Usage:
//   node tools/install-test/run.mjs [--keep]          (pnpm test:install)
// --keep leaves the temporary folder in place and prints its path.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { pack, publishablePackages } from "../check-packages.mjs";
import { FORMS, runForm, snippetFiles, tsconfig } from "./readme-snippets.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
/** What a user installs first; the closure of their @gan dependencies is added. */
const ENTRY = ["@gan/sagan", "@gan/trainer", "@gan/data", "@gan/recipes", "@gan/backend"];
const THIRD_PARTY = ["@tensorflow/tfjs-core@4.22.0", "@tensorflow/tfjs-backend-cpu@4.22.0", "sharp@0.34.5"];
const SCRIPT_TIMEOUT_MS = 10 * 60_000;
/** What a TypeScript user adds (`npm install -D`), pinned: the workspace's TypeScript and @types/node. */
const TS_TOOLS = ["typescript@5.9.3", "tsx@4.23.15", "@types/node@20.19.8"];
/** The README program's training time here (its first argument): a few steps, ~6 s of training per form. */
const SNIPPET_MINUTES = 0.1;

/** The environment without the npm_* variables `pnpm run` sets (pnpm's own settings, unknown to npm). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
}

function step(title) {
  console.log(`\n--- ${title}`);
}

/** Runs a command with inherited output; throws when it fails. */
function run(cmd, args, options) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", shell: process.platform === "win32", env: cleanEnv(), ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return Date.now() - started;
}

/** `names` and every @gan package they depend on, transitively. */
function closure(names, byName) {
  const out = new Set();
  const visit = (name) => {
    if (out.has(name)) return;
    const pkg = byName.get(name);
    if (!pkg) throw new Error(`${name} is not a publishable package of the workspace`);
    out.add(name);
    for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) if (dep.startsWith("@gan/")) visit(dep);
  };
  for (const name of names) visit(name);
  return [...out].sort();
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function main(argv) {
  const keep = argv.includes("--keep");
  const packages = publishablePackages();
  const byName = new Map(packages.map((p) => [p.name, p]));
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, "dist")));
  if (unbuilt.length > 0) throw new Error(`not built: ${unbuilt.map((p) => p.name).join(", ")} (run pnpm build first)`);

  const tmp = mkdtempSync(join(tmpdir(), "gan-install-test-"));
  const packs = join(tmp, "packs");
  const project = join(tmp, "project");
  mkdirSync(packs);
  mkdirSync(project);
  let ok = false;
  try {
    step(`pnpm pack (${packages.length} packages)`);
    const tarballs = new Map();
    for (const pkg of packages) tarballs.set(pkg.name, pack(pkg.dir, packs).tarball);
    console.log("package          tarball");
    for (const [name, file] of tarballs) console.log(`${name.padEnd(16)} ${kib(statSync(file).size).padStart(10)}`);
    const total = [...tarballs.values()].reduce((s, f) => s + statSync(f).size, 0);
    console.log(`${"total".padEnd(16)} ${kib(total).padStart(10)}`);

    const wanted = closure(ENTRY, byName);
    step(`npm install in ${project}: ${wanted.join(", ")} (tarballs), ${THIRD_PARTY.join(", ")}`);
    // The project as a user makes it: `npm init -y` (npm 11 writes "type": "commonjs"; older npm no type, the same).
    run("npm", ["init", "-y"], { cwd: project, stdio: "ignore" });
    const projectType = JSON.parse(readFileSync(join(project, "package.json"), "utf8")).type ?? "commonjs";
    console.log(`npm ${spawnSync("npm", ["--version"], { encoding: "utf8", env: cleanEnv() }).stdout.trim()}: npm init -y wrote "type": ${projectType}`);
    if (projectType !== "commonjs") throw new Error(`npm init -y made a "${projectType}" project; the README says main.js is CommonJS there`);
    const npmArgs = ["install", "--no-audit", "--no-fund", "--loglevel=warn", ...wanted.map((n) => tarballs.get(n)), ...THIRD_PARTY];
    const installMs = run("npm", npmArgs, { cwd: project });
    console.log(`npm install: ${(installMs / 1000).toFixed(1)} s`);

    // Every @gan package came from our tarballs (none from the registry), once, at the top level.
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8"));
    const ganEntries = Object.entries(lock.packages).filter(([key]) => /(^|\/)node_modules\/@gan\//.test(key));
    for (const [key, entry] of ganEntries) {
      if (!/^node_modules\/@gan\/[^/]+$/.test(key)) throw new Error(`npm installed a nested copy: ${key}`);
      if (!String(entry.resolved).startsWith("file:")) throw new Error(`${key} did not come from a tarball: ${entry.resolved}`);
    }
    const installed = ganEntries.map(([key]) => key.replace("node_modules/", "")).sort();
    if (installed.join() !== wanted.join()) throw new Error(`installed ${installed.join(", ")}; expected ${wanted.join(", ")}`);
    for (const native of ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"]) {
      if (lock.packages[`node_modules/${native}`]) throw new Error(`npm installed the optional peer ${native}`);
    }
    console.log(`installed from tarballs: ${installed.join(", ")}`);

    for (const script of ["esm.mjs", "cjs.cjs"]) {
      copyFileSync(join(here, script), join(project, script));
      step(`node ${script}`);
      const ms = run(process.execPath, [script], { cwd: project, timeout: SCRIPT_TIMEOUT_MS });
      console.log(`${script}: ${(ms / 1000).toFixed(1)} s`);
    }

    // The README's program, verbatim, in every form.
    const snippets = snippetFiles(join(root, "README.md"), [...new Set(FORMS.map((f) => f.file))]);
    for (const [file, code] of snippets) writeFileSync(join(project, file), code);
    step(`npm install -D ${TS_TOOLS.join(" ")}`);
    const toolsMs = run("npm", ["install", "-D", "--no-audit", "--no-fund", "--loglevel=warn", ...TS_TOOLS], { cwd: project });
    console.log(`npm install -D: ${(toolsMs / 1000).toFixed(1)} s`);
    step("tsc: main.ts with module NodeNext, in this CommonJS project and in a \"type\": \"module\" one");
    writeFileSync(join(project, "tsconfig.json"), tsconfig(["main.ts"]));
    const tscMs = run("npx", ["tsc", "-p", "tsconfig.json"], { cwd: project });
    const compiled = readFileSync(join(project, "build", "main.js"), "utf8");
    if (!compiled.includes('require("@gan/recipes/node")')) throw new Error("tsc did not compile main.ts to CommonJS in a CommonJS project");
    const esmProject = join(project, "esm-ts");
    mkdirSync(esmProject);
    writeFileSync(join(esmProject, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
    writeFileSync(join(esmProject, "main.ts"), snippets.get("main.ts"));
    writeFileSync(join(esmProject, "tsconfig.json"), tsconfig(["main.ts"], true));
    const tscEsmMs = run("npx", ["tsc", "-p", join("esm-ts", "tsconfig.json")], { cwd: project });
    console.log(`tsc: ${(tscMs / 1000).toFixed(1)} s (CommonJS, emitted build/main.js), ${(tscEsmMs / 1000).toFixed(1)} s (ES module, checked)`);

    const timings = [];
    for (const form of [...FORMS, { ...FORMS[0], title: `${FORMS[0].title}, run again: resumes` }]) {
      step(`README program as ${form.title}: ${form.command.join(" ")} ${SNIPPET_MINUTES}`);
      const again = timings.some((t) => t.form.name === form.name);
      const result = runForm(project, form, SNIPPET_MINUTES, cleanEnv(), SCRIPT_TIMEOUT_MS);
      if (again) {
        const before = timings.find((t) => t.form.name === form.name).steps;
        if (!new RegExp(`^training from step ${before} of `, "m").test(result.out)) throw new Error(`${form.title}: did not resume from step ${before}`);
      }
      timings.push({ form, ...result });
      console.log(`${form.title}: ${result.steps} steps in ${result.seconds.toFixed(1)} s`);
    }
    console.log("\nREADME program, every form (from the tarballs):");
    for (const t of timings) console.log(`  ${t.form.title.padEnd(64)} ${String(t.steps).padStart(4)} steps ${t.seconds.toFixed(1).padStart(6)} s`);
    ok = true;
  } finally {
    if (keep) console.log(`\nkept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  if (ok) console.log(`\ninstall test passed (${relative(root, here)}: npm install from tarballs, ESM and CommonJS, the README's program in ${FORMS.length} forms)`);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(`\ninstall test FAILED: ${e.message}`);
  process.exitCode = 1;
}
