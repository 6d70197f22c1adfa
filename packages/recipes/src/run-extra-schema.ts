import { MODEL_LIMITS } from "@gan/layers";
import * as v from "valibot";
import { ModelSpecSchema } from "./model-spec-schema";
import { TrainingSetupSchema } from "./training-setup-schema";

/** Images per class in label order (`extra.classCounts`, `WebManifest.classCounts`): whole numbers ≥ 0. */
export const ClassCountsSchema = v.pipe(
  v.array(v.pipe(v.number(), v.integer((i) => `expected a whole number of images, got ${i.received}`), v.minValue(0, (i) => `expected a count of at least 0, got ${i.received}`))),
  v.maxLength(MODEL_LIMITS.maxClasses, (i) => `expected at most ${MODEL_LIMITS.maxClasses} class counts, got ${i.received}`),
);

/**
 * The schema of what `gan train` records under `extra` in a run's `config.json`: the recipe's name, the
 * {@link ModelSpec} (`extra.model`), the {@link TrainingSetup} (`extra.training`) and, for a conditional run, the
 * class names in label order (`extra.classes`: `gan sample` names its rows by them) and the images per class
 * (`extra.classCounts`: the weights of `gan sample --marginal` and `gan eval --marginal`), each optional as in runs of
 * earlier versions; other entries (the data folder, the backend, the command line...) are kept as written. Pass it
 * to `readRunConfig(runDir, RunExtraSchema)` of `@gan/trainer/node`.
 */
export const RunExtraSchema = v.looseObject({
  recipe: v.optional(v.string((i) => `expected a recipe name, got ${i.received}`)),
  model: v.optional(ModelSpecSchema),
  training: v.optional(TrainingSetupSchema),
  classes: v.optional(
    v.pipe(
      v.array(v.pipe(v.string((i) => `expected a class name, got ${i.received}`), v.maxLength(200, (i) => `expected a class name of at most 200 characters, got ${i.received}`))),
      v.maxLength(MODEL_LIMITS.maxClasses, (i) => `expected at most ${MODEL_LIMITS.maxClasses} class names, got ${i.received}`),
    ),
  ),
  classCounts: v.optional(ClassCountsSchema),
});

/** `extra` of a run's `config.json` as {@link RunExtraSchema} outputs it. */
export type RunExtra = v.InferOutput<typeof RunExtraSchema>;
