/** Helpers for the CLI's tests (not part of the public API): run `gan` in-process and capture its output. */
import type { CommandIO } from "./commands/train";
import { main } from "./main";

/** A {@link CommandIO} that records what a command prints. */
export function capture(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    log: (m) => out.push(m),
    stderr: { write: (s: string) => err.push(s), isTTY: false } as unknown as NodeJS.WriteStream,
  };
}

/** Runs `gan ...argv` in this process: the exit code, stdout lines joined by newlines, and stderr. */
export async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(argv, io);
  return { code, out: io.out.join("\n"), err: io.err.join("") };
}
