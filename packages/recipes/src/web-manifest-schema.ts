import { IMAGE_SIZE, MODEL_LIMITS } from "@gan/layers";
import { count, fileObject, intIn, text, validateFile } from "@gan/trainer";
import * as v from "valibot";
import { LatentGapSpecSchema, gapWithinCode } from "./model-spec-schema";
import { MODELS } from "./model-spec";
import { ClassCountsSchema } from "./run-extra-schema";

const MAX_WEIGHTS_BYTES = 2 ** 31;

/**
 * The schema of `manifest.json` (`WebManifest`, written by `gan export-web`): the generator's shape within
 * `MODEL_LIMITS`, at most four attention blocks, and a weights file that is a plain name next to the manifest
 * (no path, no URL) of at most 2 GiB with a SHA-256 in hex.
 */
export const WebManifestSchema = fileObject(
  v.object({
    format: v.literal("gan-web", (i) => `expected "gan-web" (a manifest written by 'gan export-web'), got ${i.received}`),
    version: v.literal(1, (i) => `expected 1, got ${i.received}`),
    model: v.pipe(
      v.object({
      model: v.picklist(MODELS, (i) => `expected one of ${MODELS.join(", ")}, got ${i.received}`),
      zDim: intIn(1, MODEL_LIMITS.maxZDim),
      width: intIn(1, MODEL_LIMITS.maxWidth),
      channels: v.picklist(MODEL_LIMITS.channels, (i) => `expected 1 or 3, got ${i.received}`),
      generatorSpectralNorm: v.optional(v.literal(false, (i) => `expected false or nothing, got ${i.received}`)),
      workingSize: v.optional(v.literal(32, (i) => `expected 32 or nothing, got ${i.received}`)),
      latentGap: v.optional(LatentGapSpecSchema),
      numClasses: v.optional(intIn(1, MODEL_LIMITS.maxClasses)),
      }),
      gapWithinCode(),
    ),
    classes: v.optional(v.pipe(v.array(v.pipe(text(), v.maxLength(200, (i) => `expected a class name of at most 200 characters, got ${i.received}`))), v.maxLength(MODEL_LIMITS.maxClasses, (i) => `expected at most ${MODEL_LIMITS.maxClasses} class names, got ${i.received}`))),
    classCounts: v.optional(v.pipe(ClassCountsSchema, v.check((counts) => counts.some((c) => c > 0), "expected at least one class with images"))),
    imageSize: intIn(IMAGE_SIZE, IMAGE_SIZE),
    attention: v.pipe(
      v.array(v.object({ name: text(), after: intIn(1, 4), side: intIn(1, IMAGE_SIZE) })),
      v.maxLength(4, (i) => `expected at most 4 attention blocks, got ${i.received}`),
    ),
    weights: v.object({
      file: v.pipe(text(), v.regex(/^[\w][\w.-]*$/, (i) => `expected a plain file name next to the manifest, got ${i.received}`)),
      bytes: intIn(0, MAX_WEIGHTS_BYTES),
      sha256: v.pipe(text(), v.regex(/^[0-9a-f]{64}$/, (i) => `expected 64 hex digits, got ${i.received}`)),
    }),
    source: v.object({
      run: text(),
      checkpoint: text(),
      step: v.nullable(count()),
      backend: v.nullable(text()),
      ema: v.optional(v.boolean()),
    }),
    exportedAt: text(),
  }),
);

/**
 * Checks a web manifest (parsed JSON) against {@link WebManifestSchema}; `file` names it in the error
 * (`model/manifest.json: model.width: expected an integer in [1, 256], got 1000`).
 */
export function checkWebManifest(value: unknown, file: string): v.InferOutput<typeof WebManifestSchema> {
  return validateFile(WebManifestSchema, value, file);
}
