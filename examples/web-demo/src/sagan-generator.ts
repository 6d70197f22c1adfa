/**
 * SAGAN's generator, for the browser bundle.
 *
 * `@gan/sagan`'s entry point is the "install this first" package: besides the models it re-exports the trainer
 * and the data loaders (`@gan/trainer`, `@gan/data`), which import sharp and node:fs and cannot be bundled for a
 * browser. The generator class itself depends only on `@gan/dcgan`, `@gan/layers` and tfjs-core, all
 * browser-safe, so the page compiles it from the workspace source (Vite bundles TypeScript as it is). The
 * class, its state-dict names and its numerics are exactly the package's.
 */
export { SaganGenerator } from "../../../packages/sagan/src/generator";
