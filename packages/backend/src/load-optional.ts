import { createRequire } from "node:module";
import * as path from "node:path";

/** Loads an optional package by name, or throws the loader's error when it is not installed. */
export type ModuleLoader = (packageName: string) => unknown;

/**
 * The default {@link ModuleLoader}: `require` as seen from this package (where pnpm links installed peers),
 * then as seen from the working directory (the user's project).
 */
export function defaultModuleLoader(packageName: string): unknown {
  const errors: unknown[] = [];
  for (const base of [moduleBase(), path.join(process.cwd(), "noop.js")]) {
    try {
      return createRequire(base)(packageName);
    } catch (error) {
      // Only "not found" means "try the next place"; an installed package that fails to load is reported.
      if (!isNotFound(error, packageName)) throw error;
      errors.push(error);
    }
  }
  throw errors[errors.length - 1];
}

/** True when `error` says `packageName` itself (not one of its dependencies) could not be found. */
export function isNotFound(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === "MODULE_NOT_FOUND" && typeof e.message === "string" && e.message.includes(`'${packageName}'`);
}

function moduleBase(): string {
  // tsup's shims make import.meta.url work in the CJS build too.
  return import.meta.url;
}
