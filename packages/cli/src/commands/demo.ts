import type { BackendName } from "@gan/backend";
import { readdir } from "node:fs/promises";
import { prepareCommand } from "./prepare";
import { type CommandIO, trainCommand } from "./train";

/** Options of `gan demo`. */
export interface DemoCommandOptions {
  out: string;
  data: string;
  /** Wall-clock budget of the training, evaluations and pictures included. */
  minutes: number;
  backend: BackendName;
  threads?: number | "auto";
  width: number;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Evaluate (FID, KID, purity, balance of G and of its EMA) every this many epochs; 0 turns it off. */
  evalEvery: number;
}

/**
 * The demo's training recipe: SAGAN nets at width 16 working at 32×32 (one block shorter each; the generator
 * upsamples its 32×32 image, the discriminator pools its input: about a quarter less per step, at least as good per
 * second on these 28×28 digits), the generator with one attention block (after layer 3,
 * 16×16; the 32×32 one costs most of a step) and without spectral normalisation (with it G needs hundreds more
 * steps to leave the blob stage), the discriminator with spectral normalisation and no attention (with attention
 * it overpowered G within ten epochs); hinge loss; Adam 1.2e-3 for both nets with betas (0, 0.99) and two D
 * steps per G step; DiffAugment color + translation on everything D sees, with shifts of at most 1/16 of the side
 * (half the paper's: a third lower FID at equal time, D still does not win); an EMA of G (decay 0.99, BatchNorm
 * statistics measured for the averaged weights) for sampling; a latent prior with two separate modes (the
 * generator's first latent coordinate moved out of (−2, 2), so it can put the step from a 7 to an 8 where no code
 * lands instead of drawing blends: purity 0.96–0.98 where the same runs without it reach 0.87–0.90).
 * docs/quality.md shows the runs behind each choice (three seeds against the former recipe); the reference
 * settings need far longer than a few minutes to draw digits.
 */
export const DEMO_RECIPE = {
  model: "sagan",
  workingSize: 32,
  latentGap: { dims: 1, gap: 2, scale: 0.5 },
  attentionAfter: [3],
  discriminatorAttentionAfter: [],
  generatorSpectralNorm: false,
  loss: "hinge",
  gLr: 1.2e-3,
  dLr: 1.2e-3,
  beta1: 0,
  beta2: 0.99,
  dSteps: 2,
  diffAugment: "color,translation",
  diffAugmentTranslation: 0.0625,
  ema: true,
  emaDecay: 0.99,
} as const;

/**
 * `gan demo`: the README's main command. Prepares MNIST 7/8 (unless the folder already holds it), trains with
 * {@link DEMO_RECIPE} for at most `minutes` and leaves sample grids (also of the EMA generator), attention
 * maps, loss and FID curves, scores and checkpoints in `out`.
 */
export async function demoCommand(options: DemoCommandOptions, io: CommandIO): Promise<void> {
  const existing = await readdir(options.data).catch(() => [] as string[]);
  if (existing.filter((f) => f.endsWith(".jpg")).length < 400) {
    await prepareCommand({ dataset: "mnist78", out: options.data, perDigit: 200, size: 64, format: "jpg" }, io);
  } else io.log(`data: using the ${existing.length} files already in ${options.data}`);
  const started = performance.now();
  await trainCommand(
    {
      ...DEMO_RECIPE,
      latentGap: { ...DEMO_RECIPE.latentGap },
      attentionAfter: [...DEMO_RECIPE.attentionAfter],
      discriminatorAttentionAfter: [...DEMO_RECIPE.discriminatorAttentionAfter],
      data: options.data,
      epochs: options.epochs,
      batchSize: options.batchSize,
      out: options.out,
      backend: options.backend,
      ...(options.threads ? { threads: options.threads } : {}),
      seed: options.seed,
      zDim: 20,
      width: options.width,
      channels: 1,
      resume: false,
      sampleEvery: options.evalEvery || 5,
      // Checkpoints on the evaluation epochs: the EMA generator's statistics are measured once for both.
      checkpointEvery: options.evalEvery || 5,
      keep: 2,
      ...(options.evalEvery > 0 ? { evalEvery: options.evalEvery, evalN: 400 } : {}),
      maxMinutes: options.minutes,
      plugin: [],
    },
    io,
  );
  const minutes = (performance.now() - started) / 60_000;
  io.log(
    `demo finished in ${minutes.toFixed(1)} min: open ${options.out}/samples-ema/ (the averaged generator), ${options.out}/samples/, ` +
      `${options.out}/attention/, ${options.out}/losses.png and ${options.out}/fid.png (scores in metrics.jsonl)`,
  );
}
