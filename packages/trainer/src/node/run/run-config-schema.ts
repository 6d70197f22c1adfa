import * as v from "valibot";
import { FILE_LIMITS, count, fileObject, finite, intIn, text } from "../../validation";

/**
 * The schema of a run's `config.json` (`RunConfig`), as permissive as the files earlier versions wrote: every
 * field is optional (absent ones read as undefined) and unknown keys at the top are kept (`history`, fields of
 * later versions). What is present is checked, and what can size something (batch size, epochs, D steps, fixed noise,
 * zDim) is bounded. `extra` is the caller's: give {@link runConfigSchema} a schema for it (`@gan/recipes` has
 * `RunExtraSchema` for what `gan train` records).
 */
export const RunConfigSchema = runConfigSchema(v.record(v.string(), v.unknown()));

/** {@link RunConfigSchema} with `extra` checked by `extra`. */
export function runConfigSchema<E extends v.GenericSchema>(extra: E) {
  return fileObject(
    v.looseObject({
    trainer: v.optional(
      v.object({
        epochs: v.optional(intIn(0, FILE_LIMITS.maxEpochs)),
        seed: v.optional(finite()),
        gLr: v.optional(finite()),
        dLr: v.optional(finite()),
        beta1: v.optional(finite()),
        beta2: v.optional(finite()),
        epsilon: v.optional(finite()),
        dSteps: v.optional(intIn(1, FILE_LIMITS.maxDSteps)),
        scores: v.optional(v.picklist(["sigmoid", "logits"])),
        fixedNoiseSize: v.optional(intIn(1, FILE_LIMITS.maxFixedNoiseSize)),
        loss: v.optional(text()),
      }),
    ),
    models: v.optional(
      v.object({
        zDim: v.optional(count()),
        generatorParameters: v.optional(count()),
        discriminatorParameters: v.optional(count()),
      }),
    ),
    data: v.optional(
      v.object({
        batchSize: v.optional(intIn(1, FILE_LIMITS.maxBatchSize)),
        batchesPerEpoch: v.optional(count()),
      }),
    ),
    backend: v.optional(text()),
    gpu: v.optional(v.boolean()),
    versions: v.optional(v.record(v.string(), text())),
    extra: v.optional(extra),
    createdAt: v.optional(text()),
  }),
  );
}
