/**
 * `@gan/recipes`: training recipes as data — the article's DCGAN and SAGAN and the fast recipe `gan demo`
 * trains — and {@link applyRecipe}, which turns one into models, a loss, trainer options and callbacks in a
 * browser, a Web Worker or Node.
 *
 * @packageDocumentation
 */
export { type Recipe, type RecipeOverrides, withOverrides } from "./recipe";
export { recipes, fastRecipe, fastConditionalRecipe, fastUnlabelledRecipe, saganRecipe, dcganRecipe, RECIPE_NAMES, type RecipeName, getRecipe } from "./named-recipes";
export { defaultSampleEvery, DEFAULT_STEPS_BETWEEN_SAMPLES } from "./sample-cadence";
export { applyRecipe, type ApplyRecipeOptions, type AppliedRecipe } from "./apply-recipe";
export { buildModels, isConditional, latentGapSpec, MODELS, type ModelName, type ModelSpec, type LatentGapSpec } from "./model-spec";
export {
  type TrainingSetup,
  type ResolvedTrainingSetup,
  ARTICLE_OPTIMIZER,
  EVAL_DATASETS,
  type EvalDatasetName,
  defaultLoss,
  resolveTrainingSetup,
  checkTrainingSetup,
} from "./training-setup";
export { diffAugmentState, addDiffAugment, DIFF_AUGMENT_STATE_FILE } from "./diff-augment-state";
export { WEB_MANIFEST, type WebManifest, type WebManifestAttention, webManifestAttention, webManifestModel } from "./web-manifest";
export { ModelSpecSchema, RecipeModelSchema, LatentGapSpecSchema, checkModelSpec } from "./model-spec-schema";
export { TrainingSetupSchema, TRAINING_LIMITS } from "./training-setup-schema";
export { RecipeSchema, checkRecipe } from "./recipe-schema";
export { RunExtraSchema, type RunExtra } from "./run-extra-schema";
export { WebManifestSchema, checkWebManifest } from "./web-manifest-schema";
export { DiffAugmentStateSchema } from "./diff-augment-state-schema";
