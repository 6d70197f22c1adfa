// The README's "Use it in your project" program, as run.mjs runs it: every fenced block that follows a marker line
//   <!-- install-test: main.mjs main.ts -->
// is one program, to be saved verbatim under each file name the marker lists. Reading the blocks from README.md
// (instead of keeping copies here) is what keeps the README and the install test from drifting apart.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const MARKER = /^<!-- install-test: ([^>]+?) -->\n```[a-z]*\n([\s\S]*?)^```$/gm;

/** The marked blocks of `markdown`: `[{ files: ["main.mjs", "main.ts"], code }]`, in order. */
export function readmeSnippets(markdown) {
  const out = [];
  for (const m of markdown.replace(/\r\n/g, "\n").matchAll(MARKER)) out.push({ files: m[1].trim().split(/\s+/), code: m[2] });
  return out;
}

/** The snippets of README.md by file name; throws unless every one of `wanted` is there exactly once. */
export function snippetFiles(readmePath, wanted) {
  const byFile = new Map();
  for (const { files, code } of readmeSnippets(readFileSync(readmePath, "utf8"))) {
    for (const file of files) {
      if (byFile.has(file)) throw new Error(`${readmePath}: two install-test blocks for ${file}`);
      byFile.set(file, code);
    }
  }
  const missing = wanted.filter((f) => !byFile.has(f));
  if (missing.length > 0) throw new Error(`${readmePath}: no <!-- install-test: ... --> block for ${missing.join(", ")}`);
  return byFile;
}

/**
 * The ways a user runs the snippet, in a project made by `npm init -y` (a CommonJS project). `args` are relative to a
 * working folder two levels below the project, so that each form writes its own data/ and runs/.
 */
export const FORMS = [
  { name: "mjs", title: "main.mjs (ES module)", file: "main.mjs", command: ["node", "../../main.mjs"] },
  { name: "js", title: "main.js in an `npm init -y` project (CommonJS)", file: "main.js", command: ["node", "../../main.js"] },
  { name: "cjs", title: "main.cjs (CommonJS)", file: "main.cjs", command: ["node", "../../main.cjs"] },
  { name: "tsx", title: "main.ts with `npx tsx main.ts`", file: "main.ts", command: ["npx", "tsx", "../../main.ts"] },
  { name: "tsc", title: "main.ts compiled by `tsc` (module NodeNext), run with node", file: "main.ts", command: ["node", "../../build/main.js"] },
];

/**
 * tsconfig.json of the user's TypeScript project: what `tsc --init` writes that matters here (NodeNext modules, strict,
 * skipLibCheck), output in build/.
 */
export function tsconfig(files, noEmit = false) {
  const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, ...(noEmit ? { noEmit } : { outDir: "build" }) };
  return `${JSON.stringify({ compilerOptions, files }, null, 2)}\n`;
}

/**
 * Runs one form in `project/forms/<name>`: checks the exit status, the lines the snippet and the library print, and
 * the run folder it leaves. Returns `{ seconds, steps, out }`.
 */
export function runForm(project, form, minutes, env, timeoutMs) {
  const cwd = join(project, "forms", form.name);
  mkdirSync(cwd, { recursive: true });
  const [cmd, ...args] = form.command;
  const started = Date.now();
  const r = spawnSync(cmd, [...args, String(minutes)], { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20, shell: process.platform === "win32" });
  const seconds = (Date.now() - started) / 1000;
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  process.stdout.write(out.split("\n").map((l) => (l ? `  | ${l}` : l)).join("\n"));
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${form.title}: ${form.command.join(" ")} exited with ${r.status ?? r.signal}`);
  const expect = (pattern, what) => {
    const m = out.match(pattern);
    if (!m) throw new Error(`${form.title}: the output lacks ${what} (${pattern})`);
    return m;
  };
  expect(/^\[@gan\/backend\] using /m, "the backend's choice");
  expect(/^training from step \d+ of \d+ \(\d+ epochs, at most \d+s\)$/m, "the first progress line");
  expect(/^step \d+\/\d+ · epoch \d+\/\d+ · [\d.]+ steps\/s · ETA \S+ (\(time limit\) )?· D -?\d+\.\d{3} G -?\d+\.\d{3}$/m, "a progress line");
  expect(/^stopped at the time limit: step \d+\/\d+ /m, "the time limit's end line");
  const steps = Number(expect(/^(\d+) steps trained: see runs\/fast\/samples-ema\//m, "the snippet's last line")[1]);
  if (!(steps >= 1)) throw new Error(`${form.title}: trained ${steps} steps`);
  const run = join(cwd, "runs", "fast");
  for (const file of ["config.json", "metrics.jsonl", "losses.png", join("checkpoints", "latest")]) {
    if (!existsSync(join(run, file))) throw new Error(`${form.title}: runs/fast/${file} is missing`);
  }
  // attention/ is drawn at epoch ends only (every 12 epochs): not in a run of a few seconds.
  for (const folder of ["samples", "samples-ema"]) {
    const pngs = existsSync(join(run, folder)) ? readdirSync(join(run, folder)).filter((f) => f.endsWith(".png")) : [];
    if (pngs.length === 0) throw new Error(`${form.title}: no picture in runs/fast/${folder}/`);
  }
  const jpegs = readdirSync(join(cwd, "data", "img_78")).filter((f) => f.endsWith(".jpg"));
  if (jpegs.length !== 400) throw new Error(`${form.title}: data/img_78 holds ${jpegs.length} JPEGs, expected 400`);
  return { seconds, steps, out };
}
