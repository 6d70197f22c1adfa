/** What both end-to-end tests need: Debian's Chromium, a free local port, and a Node script run to completion. */
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The example's folder. */
export const root = fileURLToPath(new URL("..", import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

/** Runs `node script ...args`; resolves with its trimmed stdout, rejects with its output when it fails. */
export function runNode(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} ${args.join(" ")} failed:\n${stdout}${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
