import { FILE_LIMITS, intIn, text, validateFile } from "@gan/trainer";
import * as v from "valibot";
import { RecipeModelSchema } from "./model-spec-schema";
import { TrainingSetupSchema } from "./training-setup-schema";

/** The schema of a {@link Recipe} as JSON: the model and training setup, a bounded batch size and epoch count. */
export const RecipeSchema = v.object({
  name: text(),
  description: text(),
  model: RecipeModelSchema,
  training: TrainingSetupSchema,
  batchSize: intIn(1, FILE_LIMITS.maxBatchSize),
  epochs: intIn(1, FILE_LIMITS.maxEpochs),
});

/** Checks a recipe read from `file` (parsed JSON) against {@link RecipeSchema}. */
export function checkRecipe(value: unknown, file: string): v.InferOutput<typeof RecipeSchema> {
  return validateFile(RecipeSchema, value, file);
}
