import * as v from "valibot";
import { ModelSpecSchema } from "./model-spec-schema";
import { TrainingSetupSchema } from "./training-setup-schema";

/**
 * The schema of what `gan train` records under `extra` in a run's `config.json`: the recipe's name, the
 * {@link ModelSpec} (`extra.model`) and the {@link TrainingSetup} (`extra.training`), each optional as in runs of
 * earlier versions; other entries (the data folder, the backend, the command line...) are kept as written. Pass it
 * to `readRunConfig(runDir, RunExtraSchema)` of `@gan/trainer/node`.
 */
export const RunExtraSchema = v.looseObject({
  recipe: v.optional(v.string((i) => `expected a recipe name, got ${i.received}`)),
  model: v.optional(ModelSpecSchema),
  training: v.optional(TrainingSetupSchema),
});

/** `extra` of a run's `config.json` as {@link RunExtraSchema} outputs it. */
export type RunExtra = v.InferOutput<typeof RunExtraSchema>;
