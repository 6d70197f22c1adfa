import type { Module } from "./module";

/** Builds a layer from arguments, e.g. an attention block from its channel count. */
// biome-ignore lint/suspicious/noExplicitAny: factories take whatever arguments their slot passes.
export type LayerFactory<M extends Module = Module> = (...args: any[]) => M;

// One registry per process, even when several copies of this package are loaded (a plugin file resolving
// its own @gan/layers, say): it lives on globalThis like tfjs's kernel registry.
const KEY = Symbol.for("@gan/layers/registry");
type Registry = Map<string, LayerFactory>;

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  g[KEY] ??= new Map();
  return g[KEY] as Registry;
}

/**
 * Registers a layer factory under `name`, so that a JSON config or the CLI (`gan train --plugin ./my-layer.js
 * --attention my-attention`) can name a user's own layer. Registering a taken name is an error unless
 * `override` is set.
 */
export function registerLayer(name: string, factory: LayerFactory, options: { override?: boolean } = {}): void {
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new Error(`registerLayer: invalid name '${name}' (letters, digits, _ . : - only)`);
  if (typeof factory !== "function") throw new Error(`registerLayer: the factory for '${name}' must be a function`);
  if (registry().has(name) && !options.override) {
    throw new Error(`registerLayer: '${name}' is already registered (pass { override: true } to replace it)`);
  }
  registry().set(name, factory);
}

/** The factory registered under `name`; the error lists the registered names when there is none. */
export function getLayer(name: string): LayerFactory {
  const factory = registry().get(name);
  if (!factory) {
    const known = [...registry().keys()].sort();
    throw new Error(`No layer registered as '${name}' (registered: ${known.length ? known.join(", ") : "none"})`);
  }
  return factory;
}

/** Names of every registered layer, sorted. */
export function registeredLayers(): string[] {
  return [...registry().keys()].sort();
}
