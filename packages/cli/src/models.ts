import { type ModelSpec, type RunExtra, RunExtraSchema, buildModels } from "@gan/recipes";
import type { GanGenerator } from "@gan/spec";
import { readRunConfig } from "@gan/trainer/node";
import { evalRunDir } from "@gan/metrics/node";

/** The `gan train` flag of each {@link ModelSpec} field: for flag overrides, resume checks and error messages. */
export const MODEL_FIELD_FLAGS: Readonly<Record<keyof ModelSpec, string>> = {
  model: "--model",
  width: "--width",
  zDim: "--z-dim",
  channels: "--channels",
  seed: "--seed",
  attention: "--attention",
  attentionAfter: "--attention-after",
  discriminatorAttentionAfter: "--d-attention-after",
  generatorSpectralNorm: "--no-g-spectral-norm",
  workingSize: "--working-size",
  latentGap: "--latent-gap",
  discriminatorMinibatchStd: "--minibatch-std",
  discriminatorPack: "--pack",
  conditional: "--conditional",
  // No flag of its own: --conditional takes it from the data's class sub-folders.
  numClasses: "--conditional",
};

/** An error of `@gan/recipes` that names a model field (`workingSize: ...`) restated with its flag. */
export function inFlagTerms(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const field = /^([a-zA-Z]+): /.exec(message)?.[1];
  const flag = field && Object.hasOwn(MODEL_FIELD_FLAGS, field) ? MODEL_FIELD_FLAGS[field as keyof ModelSpec] : undefined;
  return flag ? new Error(`${flag}: ${message.slice(field!.length + 2)}`, { cause: error }) : (error as Error);
}

/**
 * Rebuilds the generator of a run folder written by `gan train`, from the model spec in its config.json, which is
 * validated (with the model limits) before anything is built.
 */
export async function generatorOf(runDir: string): Promise<GanGenerator> {
  const spec = (await readRunConfig(runDir, RunExtraSchema)).extra?.model;
  if (!spec?.model) throw new Error(`${runDir}/config.json: no model description under extra.model (was it written by 'gan train'?)`);
  try {
    const { generator, discriminator } = buildModels(spec);
    discriminator.dispose();
    return generator;
  } catch (e) {
    // A layer a plugin registered when the run was trained: the same plugin must be loaded again.
    if (spec.attention && /No layer registered/.test((e as Error).message)) {
      throw new Error(`${(e as Error).message}; the run was trained with the attention layer '${spec.attention}': pass the --plugin that registers it (as 'gan train' had it)`, { cause: e });
    }
    throw e;
  }
}

/**
 * `gan eval --marginal`'s label weights: the images per class (`extra.classCounts`) of the run that `run` (a run
 * folder or one of its checkpoint folders) is, checked against its conditional generator's class count.
 */
export async function marginalWeights(run: string): Promise<number[]> {
  const runDir = evalRunDir(run);
  const extra = (await readRunConfig(runDir, RunExtraSchema)).extra;
  const numClasses = extra?.model?.numClasses;
  if (numClasses === undefined) throw new Error(`--marginal: the run in ${run} is not conditional; its samples are its whole distribution already`);
  return classCountsOf(extra, numClasses, `${runDir}/config.json`);
}

/**
 * The images per class a conditional run trained on (`extra.classCounts` of its `config.json`, read from `where`),
 * checked against its generator's `numClasses`: the weights of `--marginal`.
 */
export function classCountsOf(extra: RunExtra | undefined, numClasses: number, where: string): number[] {
  const counts = extra?.classCounts;
  if (!counts) throw new Error(`--marginal: ${where} records no images per class (extra.classCounts; runs trained before it was recorded lack it)`);
  if (counts.length !== numClasses) throw new Error(`--marginal: ${where} records ${counts.length} class counts, but the generator has ${numClasses} classes`);
  return [...counts];
}
