import type { ModelSpec } from "./model-spec";
import type { TrainingSetup } from "./training-setup";

/**
 * A training recipe as data: the nets, how they train, the batch size and the number of epochs. Plain JSON, so
 * it can be stored, shown, edited and recorded in a run folder. {@link applyRecipe} turns it into models, a loss,
 * trainer options and callbacks, the same in a browser, a Web Worker and Node.
 */
export interface Recipe {
  /** A short name (`fast`, `sagan`, `dcgan`). */
  name: string;
  /** One sentence on what the recipe is for. */
  description: string;
  /** The nets (a {@link ModelSpec} without the seed, which each run chooses). */
  model: Omit<ModelSpec, "seed">;
  /** The loss, optimisers, D steps and training aids. */
  training: TrainingSetup;
  /** Images per batch. */
  batchSize: number;
  /** Epochs to train. */
  epochs: number;
}

/** Changes to a recipe: any field, with `model` and `training` merged field by field. */
export interface RecipeOverrides {
  name?: string;
  description?: string;
  model?: Partial<Omit<ModelSpec, "seed">>;
  training?: Partial<TrainingSetup>;
  batchSize?: number;
  epochs?: number;
}

/**
 * `recipe` with `overrides` applied (`model` and `training` merged field by field; a field set to `undefined`
 * is removed, which turns an aid off). The recipe itself is not changed.
 */
export function withOverrides(recipe: Recipe, overrides: RecipeOverrides = {}): Recipe {
  const merge = <T extends object>(base: T, patch: Partial<T> | undefined): T => {
    const out = { ...base } as Record<string, unknown>;
    for (const [key, value] of Object.entries(patch ?? {})) {
      if (value === undefined) delete out[key];
      else out[key] = value;
    }
    return out as T;
  };
  return {
    ...recipe,
    ...(overrides.name !== undefined ? { name: overrides.name } : {}),
    ...(overrides.description !== undefined ? { description: overrides.description } : {}),
    ...(overrides.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}),
    ...(overrides.epochs !== undefined ? { epochs: overrides.epochs } : {}),
    model: merge(recipe.model, overrides.model),
    training: merge(recipe.training, overrides.training),
  };
}
