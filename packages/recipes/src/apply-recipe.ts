import { lossByName, withLeCam } from "@gan/losses";
import type { GanDiscriminator, GanGenerator, GanLoss } from "@gan/spec";
import { type GeneratorEmaCallback, type TrainerCallback, generatorEma } from "@gan/trainer";
import { addDiffAugment } from "./diff-augment-state";
import { buildModels } from "./model-spec";
import type { Recipe } from "./recipe";
import { type ResolvedTrainingSetup, resolveTrainingSetup } from "./training-setup";

/** Options of {@link applyRecipe}. */
export interface ApplyRecipeOptions {
  /**
   * Seeds everything random: the generator's initial weights (the discriminator's use `seed + 1`), the trainer's
   * latent codes and DiffAugment's stream (default 0).
   */
  seed?: number;
  /**
   * The number of classes of a conditional recipe (`model.conditional: true`) whose `model.numClasses` is not set:
   * `trainRecipe` passes the data's class count. Ignored when the recipe sets `numClasses`.
   */
  numClasses?: number;
}

/** What {@link applyRecipe} builds: spread `trainerOptions` and the rest into `GanTrainer` or `train()`. */
export interface AppliedRecipe {
  /** The recipe, as applied. */
  readonly recipe: Recipe;
  /** Its training setup with every default filled in (what a run records). */
  readonly training: ResolvedTrainingSetup;
  readonly generator: GanGenerator;
  /** The discriminator, wrapped with DiffAugment when the recipe asks for it. */
  readonly discriminator: GanDiscriminator;
  /** The loss, with LeCam when the recipe asks for it. */
  readonly loss: GanLoss;
  /** The trainer's numeric options: epochs, seed, learning rates, betas, D steps. */
  readonly trainerOptions: { epochs: number; seed: number; gLr: number; dLr: number; beta1: number; beta2: number; dSteps: number };
  /** The callbacks that are part of the training: DiffAugment's resumable random state, the EMA. */
  readonly callbacks: TrainerCallback[];
  /** The EMA callback when the recipe keeps one (hand it to sample grids or evaluation). */
  readonly ema: GeneratorEmaCallback | undefined;
  /** Frees the models, the EMA and the loss's state. */
  dispose(): void;
}

/**
 * Turns a recipe into what training needs: the nets, the loss, the trainer's options and the callbacks that
 * belong to the recipe (DiffAugment's random state, the generator's EMA). Runs in a browser, a Web Worker and
 * Node alike; `gan train` and `gan demo` use it too.
 *
 * ```ts
 * const run = applyRecipe(recipes.fast, { seed: 0 });
 * const trainer = new GanTrainer({ ...run.trainerOptions, generator: run.generator, discriminator: run.discriminator,
 *   loss: run.loss, callbacks: run.callbacks, data });
 * await trainer.fit();
 * run.dispose();
 * ```
 *
 * A conditional recipe (`model.numClasses`, or `model.conditional` with `options.numClasses`) builds class-conditional
 * nets; the trainer then needs labelled data.
 *
 * Evaluation (`recipe.training.eval`) needs a classifier and real reference images: `trainRecipe` of
 * `@gan/recipes/node` adds it from `@gan/metrics/node`.
 */
export function applyRecipe(recipe: Recipe, options: ApplyRecipeOptions = {}): AppliedRecipe {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`applyRecipe: seed must be an integer >= 0, got ${seed}`);
  for (const key of ["batchSize", "epochs"] as const) {
    if (!Number.isSafeInteger(recipe[key]) || recipe[key] < 1) throw new Error(`recipe '${recipe.name}': ${key} must be an integer >= 1, got ${recipe[key]}`);
  }
  const training = resolveTrainingSetup(recipe.training, recipe.model.model);
  const numClasses = recipe.model.numClasses ?? (recipe.model.conditional ? options.numClasses : undefined);
  const { generator, discriminator } = buildModels({ ...recipe.model, seed, ...(numClasses !== undefined ? { numClasses } : {}) });
  const callbacks: TrainerCallback[] = [];
  const augment = addDiffAugment(discriminator, training, seed);
  if (augment) callbacks.push(augment);
  const ema = training.ema ? generatorEma(training.ema) : undefined;
  if (ema) callbacks.push(ema);
  const base = lossByName(training.loss);
  const lecam = training.lecam === undefined ? undefined : withLeCam(base, { weight: training.lecam });
  return {
    recipe,
    training,
    generator,
    discriminator,
    loss: lecam ?? base,
    trainerOptions: {
      epochs: recipe.epochs,
      seed,
      gLr: training.gLr,
      dLr: training.dLr,
      beta1: training.beta1,
      beta2: training.beta2,
      dSteps: training.dSteps,
    },
    callbacks,
    ema,
    dispose() {
      ema?.ema?.dispose();
      lecam?.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}
