/**
 * Kept for old imports only: `@gan/sagan`'s entry now depends on `@gan/spec` and `@gan/layers` alone and bundles
 * for the browser, so the page imports `createGenerator` from `@gan/sagan` directly. This file can be deleted.
 */
export { SaganGenerator, createGenerator } from "@gan/sagan";
