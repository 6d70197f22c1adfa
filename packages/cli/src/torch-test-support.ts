/** Helpers for the CLI's PyTorch interop tests (not part of the public API). */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Debian's Python with PyTorch. */
export const PYTHON = "/usr/bin/python3";
/** The repository's root. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** A fixture of `@gan/torch` (written by tools/parity/make_torch_interop_fixtures.py). */
export const torchFixture = (name: string) => `${ROOT}packages/torch/fixtures/${name}`;

/** Throws unless `/usr/bin/python3` imports torch (CI installs it, see .ci/run). */
export function requirePyTorch(): void {
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`PyTorch is needed to check the .pth files with PyTorch itself: ${PYTHON} -c 'import torch' failed (${r.error?.message ?? r.stderr.trim().split("\n").pop()}); install it (apt-get install python3-torch)`);
  }
}

/** Runs tools/parity/check_torch_export.py with `args`: its JSON report with `exitCode`, or an error with its stderr. */
export function checkWithPyTorch(...args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [`${ROOT}tools/parity/check_torch_export.py`, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.error) throw r.error;
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 && !line.startsWith("{")) throw new Error(`check_torch_export.py exited with ${r.status}: ${r.stderr.trim()}`);
  return { ...(JSON.parse(line) as Record<string, unknown>), exitCode: r.status };
}
