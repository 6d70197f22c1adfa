import type { Recipe } from "./recipe";
import { ARTICLE_OPTIMIZER } from "./training-setup";

/**
 * The article's DCGAN: z_dim 20, width 64, one channel; BCE with logits (non-saturating G); Adam 1e-4 / 4e-4 with
 * betas (0, 0.9); batch 64 for 300 epochs. Hours on a CPU; minutes on a GPU.
 */
export const dcganRecipe: Recipe = {
  name: "dcgan",
  description: "The article's DCGAN: BCE loss, Adam 1e-4/4e-4, betas (0, 0.9), batch 64, 300 epochs.",
  model: { model: "dcgan", zDim: 20, width: 64, channels: 1 },
  training: { loss: "bce", ...ARTICLE_OPTIMIZER },
  batchSize: 64,
  epochs: 300,
};

/**
 * The article's SAGAN: spectral norm on the convolutions and self-attention after layers 3 and 4 of both nets;
 * hinge loss; Adam 1e-4 / 4e-4 with betas (0, 0.9); batch 64 for 300 epochs.
 */
export const saganRecipe: Recipe = {
  name: "sagan",
  description: "The article's SAGAN: spectral norm, attention after layers 3 and 4, hinge loss, Adam 1e-4/4e-4, betas (0, 0.9), batch 64, 300 epochs.",
  model: { model: "sagan", zDim: 20, width: 64, channels: 1 },
  training: { loss: "hinge", ...ARTICLE_OPTIMIZER },
  batchSize: 64,
  epochs: 300,
};

/**
 * The fast recipe (what `gan demo` trains for 5 minutes on a 2-core CPU; docs/quality.md has the runs behind
 * each choice):
 * - SAGAN nets at width 16 working at 32×32: the generator draws 32×32 and upsamples bilinearly, the
 *   discriminator averages 2×2 blocks first (a quarter less per step, as good per second on 28×28 digits);
 * - one attention block, after the generator's layer 3 (the 32×32 one costs most of a step); none in D (with
 *   it D overpowered G within ten epochs); no spectral norm in G (with it G needs hundreds more steps);
 * - a latent prior with two separate modes (the first latent coordinate moved out of (−2, 2));
 * - hinge loss; Adam 1.2e-3 for both nets with betas (0, 0.99); two D steps per G step;
 * - DiffAugment color + translation (at most 1/16 of the side) on everything D sees;
 * - an EMA of G (decay 0.99, BatchNorm statistics measured for the averaged weights) for sampling;
 * - scores every 12 epochs from 400 samples where an evaluator is given; batch 32.
 *
 * Tuned on MNIST 7/8: the two-mode prior assumes two classes. `withOverrides(fastRecipe, { model: { latentGap:
 * undefined } })` drops it.
 */
export const fastRecipe: Recipe = {
  name: "fast",
  description: "SAGAN at width 16 working at 32×32, two-mode latent prior, hinge, Adam 1.2e-3, 2 D steps, DiffAugment, EMA: digits in minutes on a CPU.",
  model: {
    model: "sagan",
    zDim: 20,
    width: 16,
    channels: 1,
    workingSize: 32,
    latentGap: { dims: 1, gap: 2, scale: 0.5 },
    attentionAfter: [3],
    discriminatorAttentionAfter: [],
    generatorSpectralNorm: false,
  },
  training: {
    loss: "hinge",
    gLr: 1.2e-3,
    dLr: 1.2e-3,
    beta1: 0,
    beta2: 0.99,
    dSteps: 2,
    diffAugment: "color,translation",
    diffAugmentTranslation: 0.0625,
    ema: { decay: 0.99, startStep: 0 },
    eval: { everyEpochs: 12, n: 400 },
  },
  batchSize: 32,
  epochs: 1000,
};

/** The fast recipe's model without its two-mode latent prior: the starting point of the recipes for any data. */
const { latentGap: _twoModes, ...fastModelAnyData } = fastRecipe.model;

/**
 * The fast recipe for labelled data with any number of classes (one sub-folder per class, as `gan prepare
 * mnist`, `gan prepare fashion-mnist` and `gan prepare emoji` write them): the fast recipe's nets, loss,
 * optimizer, DiffAugment and EMA, made class-conditional (conditional BatchNorm in G, a projection discriminator;
 * `numClasses` comes from the data's class folders) and without the two-mode latent prior, which the labels
 * replace. On 10-class Fashion-MNIST its EMA generator draws the class asked for 0.87 of the time after 640 steps
 * (about 3 minutes on a 2-core CPU); docs/quality.md has the runs. Grayscale by default: set `model.channels` to 3
 * for colour images.
 */
export const fastConditionalRecipe: Recipe = {
  name: "fastConditional",
  description: "The fast recipe, class-conditional (conditional BatchNorm G, projection D), no latent prior trick: labelled data with any number of classes.",
  model: { ...fastModelAnyData, conditional: true },
  training: structuredClone(fastRecipe.training),
  batchSize: fastRecipe.batchSize,
  epochs: 200,
};

/**
 * The fast recipe for unlabelled data of any kind: the fast recipe without its two-mode latent prior (which
 * assumes two kinds of image), working at the full 64×64 and with the non-saturating BCE loss instead of the hinge,
 * everything else the same. The 32×32 working size suits 28×28 digits; on 10-class Fashion-MNIST it left shirts,
 * told apart by collars and buttons, at 1% of the confident samples. At 64×64 the hinge loss held them at 0.6–1.7%
 * over four seeds after 15 minutes; the BCE loss holds 2.0–2.4% over five seeds, over the 2% that counts a class as
 * covered, at a worse FID (19–32 against 14–25). Set `training.loss` to `"hinge"` for the recipe as it was.
 * docs/quality.md has the runs on Fashion-MNIST and colour emoji.
 */
export const fastUnlabelledRecipe: Recipe = {
  name: "fastUnlabelled",
  description: "The fast recipe without the two-mode latent prior, working at 64×64, BCE loss: unlabelled data of any kind.",
  model: { ...fastModelAnyData, workingSize: 64 },
  training: { ...structuredClone(fastRecipe.training), loss: "bce" },
  batchSize: fastRecipe.batchSize,
  epochs: 200,
};

/**
 * The named recipes: `recipes.fast` (the demo's, MNIST 7/8), `recipes.fastConditional` (labelled data, any number
 * of classes), `recipes.fastUnlabelled` (unlabelled data of any kind), `recipes.sagan`, `recipes.dcgan` (the
 * article's).
 */
export const recipes = {
  fast: fastRecipe,
  fastConditional: fastConditionalRecipe,
  fastUnlabelled: fastUnlabelledRecipe,
  sagan: saganRecipe,
  dcgan: dcganRecipe,
} as const;

/** A name of {@link recipes}. */
export type RecipeName = keyof typeof recipes;

/** The names of {@link recipes}. */
export const RECIPE_NAMES = Object.keys(recipes) as RecipeName[];

/** The named recipe `name` (a copy: changing it changes nothing else); errors list the names. */
export function getRecipe(name: string): Recipe {
  if (!Object.hasOwn(recipes, name)) throw new Error(`Unknown recipe '${name}': expected one of ${RECIPE_NAMES.join(", ")}`);
  return structuredClone(recipes[name as RecipeName]);
}
