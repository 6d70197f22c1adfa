import { MODEL_LIMITS } from "@gan/layers";
import { intIn, numberIn, text, validateFile } from "@gan/trainer";
import * as v from "valibot";
import { MODELS } from "./model-spec";

const oneOf = <const T extends readonly (string | number)[]>(options: T) =>
  v.picklist(options, (i) => `expected one of ${options.map((o) => JSON.stringify(o)).join(", ")}, got ${i.received}`);

/** The schema of a {@link LatentGapSpec}: `dims` within the latent code, a finite `gap` ≥ 0 and `scale` > 0. */
export const LatentGapSpecSchema = v.object({
  dims: intIn(1, MODEL_LIMITS.maxZDim),
  gap: numberIn(0, 1000),
  scale: numberIn(0, 1000, { min: true }),
});

/** SAGAN's attention layers: distinct layers among 1–4. */
const attentionLayers = v.pipe(
  v.array(intIn(1, 4), (i) => `expected a list of layers among 1, 2, 3, 4, got ${i.received}`),
  v.check((a) => new Set(a).size === a.length, (i) => `expected distinct layers among 1, 2, 3, 4, got ${i.received}`),
);

/** The fields of a model description with the documented limits of `MODEL_LIMITS` (`@gan/layers`). */
const modelEntries = {
  model: oneOf(MODELS),
  zDim: intIn(1, MODEL_LIMITS.maxZDim),
  width: intIn(1, MODEL_LIMITS.maxWidth),
  channels: oneOf(MODEL_LIMITS.channels),
  attention: v.optional(v.pipe(text(), v.maxLength(200, (i) => `expected a layer name of at most 200 characters, got ${i.received}`))),
  attentionAfter: v.optional(attentionLayers),
  discriminatorAttentionAfter: v.optional(attentionLayers),
  generatorSpectralNorm: v.optional(v.boolean((i) => `expected true or false, got ${i.received}`)),
  workingSize: v.optional(oneOf([32, 64] as const)),
  latentGap: v.optional(LatentGapSpecSchema),
  discriminatorMinibatchStd: v.optional(intIn(2, 256)),
  discriminatorPack: v.optional(intIn(2, 16)),
  numClasses: v.optional(intIn(1, MODEL_LIMITS.maxClasses)),
  conditional: v.optional(v.boolean((i) => `expected true or false, got ${i.received}`)),
};

/** A latent gap splits at most `zDim` coordinates (checked once both are known). */
export function gapWithinCode<T extends { zDim: number; latentGap?: { dims: number } }>() {
  return v.check<T, (issue: v.CheckIssue<T>) => string>(
    (s) => !s.latentGap || s.latentGap.dims <= s.zDim,
    (i) => `expected latentGap.dims at most zDim (${(i.input as T).zDim}), got ${(i.input as T).latentGap?.dims}`,
  );
}

/**
 * The schema of a {@link ModelSpec}: what `config.json` records under `extra.model` and a recipe names. Every
 * size is bounded before anything is built (`width` ≤ 256, `zDim` ≤ 1024, `channels` 1 or 3, `numClasses` ≤ 1000:
 * `MODEL_LIMITS`);
 * unknown keys are dropped.
 */
export const ModelSpecSchema = v.pipe(
  v.object({ ...modelEntries, seed: v.pipe(v.number((i) => `expected an integer, got ${i.received}`), v.safeInteger((i) => `expected an integer, got ${i.received}`)) }),
  gapWithinCode(),
);

/** A recipe's model: a {@link ModelSpecSchema} without the seed, which each run chooses. */
export const RecipeModelSchema = v.pipe(v.object(modelEntries), gapWithinCode());

/** Checks a model description read from `file` (parsed JSON) against {@link ModelSpecSchema}. */
export function checkModelSpec(value: unknown, file: string): v.InferOutput<typeof ModelSpecSchema> {
  return validateFile(ModelSpecSchema, value, file);
}
