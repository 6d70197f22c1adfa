/**
 * `@gan/recipes/node`: {@link trainRecipe}, a recipe trained in Node with the standard run folder (sample grids,
 * attention maps, loss plot, scores, atomic checkpoints). The recipes themselves and `applyRecipe` are in the
 * browser-safe main entry, `@gan/recipes`.
 *
 * @packageDocumentation
 */
export { trainRecipe, type TrainRecipeOptions, EMA_SAMPLES_FOLDER, conditionalGrid } from "./train-recipe";
