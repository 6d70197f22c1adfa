/**
 * `@gan/layers/node`: weights files on disk. Everything else of `@gan/layers` (including the byte-level
 * `weightsToBytes` / `loadWeightsFromBytes`) is in the browser-safe main entry.
 *
 * @packageDocumentation
 */
export { saveWeights, loadWeights } from "./weights-file";
