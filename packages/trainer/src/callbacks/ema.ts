import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeSafetensors, encodeSafetensors } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";
import type { TrainerCallback, TrainerContext } from "../callback";
import { writeFileAtomic } from "../checkpoint/atomic-fs";
import { checkpointName, CHECKPOINTS_DIR } from "../checkpoint/checkpoint-store";
import { ModelEma, type ModelEmaOptions } from "../ema";

/** File of the averaged generator inside a checkpoint folder. */
export const EMA_GENERATOR_FILE = "generator-ema.safetensors";

/** Options of {@link generatorEma}. */
export interface GeneratorEmaOptions extends ModelEmaOptions {}

/** The EMA callback, with access to the running average for sampling and evaluation. */
export interface GeneratorEmaCallback extends TrainerCallback {
  /** The average (undefined before training starts). */
  readonly ema: ModelEma | undefined;
}

/**
 * Keeps an exponential moving average of the generator's weights (see {@link ModelEma}), updated after every
 * step, and saves it as `generator-ema.safetensors` (the generator's state-dict names, loadable into the same
 * model) into each checkpoint the trainer writes; a resumed run reloads it from the checkpoint it resumed.
 *
 * Put it after `checkpointing()` in the callback list (`train()`'s extra callbacks run after the standard
 * ones), so it sees each checkpoint once written. Hand `callback.ema` to `evalCallback({ ema })` or call
 * `ema.apply(() => …)` to sample with the averaged weights.
 */
export function generatorEma(options: GeneratorEmaOptions = {}): GeneratorEmaCallback {
  let ema: ModelEma | undefined;
  let savedStep = -1;

  const saveIfCheckpointed = async (ctx: TrainerContext) => {
    if (!ema || !ctx.runDir || ctx.trainer.lastCheckpointStep !== ctx.step || savedStep === ctx.step) return;
    const dir = path.join(ctx.runDir, CHECKPOINTS_DIR, checkpointName(ctx.step));
    if (!existsSync(dir)) return;
    const state = ema.stateDict();
    const bytes = encodeSafetensors(state, {
      // int32 buffers (num_batches_tracked) as I64, PyTorch's type, as the trainer stores the generator.
      int64: Object.keys(state).filter((k) => state[k].dtype === "int32"),
      metadata: { format: "pt", kind: "gan-toolkit/generator-ema", decay: String(ema.decay), startStep: String(ema.startStep), step: String(ctx.step) },
    });
    await writeFileAtomic(path.join(dir, EMA_GENERATOR_FILE), bytes);
    savedStep = ctx.step;
  };

  return {
    name: "ema",
    get ema() {
      return ema;
    },
    async onTrainStart(ctx) {
      ema?.dispose();
      ema = new ModelEma(ctx.generator, options);
      savedStep = -1;
      const from = ctx.trainer.resumedCheckpoint;
      if (ctx.resumed && from && existsSync(path.join(from, EMA_GENERATOR_FILE))) {
        const { tensors } = decodeSafetensors(await fs.readFile(path.join(from, EMA_GENERATOR_FILE)), EMA_GENERATOR_FILE);
        try {
          ema.loadStateDict(tensors);
        } finally {
          tf.dispose(Object.values(tensors));
        }
        savedStep = ctx.step;
      }
    },
    async onBatchEnd(ctx) {
      ema?.update(ctx.step);
      await saveIfCheckpointed(ctx);
    },
    onEpochEnd: (ctx) => saveIfCheckpointed(ctx),
    async onTrainEnd(ctx, end) {
      if (end.status !== "failed") await saveIfCheckpointed(ctx);
    },
  };
}
