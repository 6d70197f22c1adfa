import type { BackendName } from "@gan/backend/node";
import { readdir } from "node:fs/promises";
import { prepareCommand } from "./prepare";
import { type CommandIO, type TrainCommandResult, trainCommand } from "./train";

/** Options of `gan demo`. Absent fields are the fast recipe's (`recipes.fast` of `@gan/recipes`). */
export interface DemoCommandOptions {
  out: string;
  data: string;
  /** Wall-clock budget of the training, evaluations and pictures included. */
  minutes: number;
  backend: BackendName;
  threads?: number | "auto";
  width?: number;
  batchSize?: number;
  epochs?: number;
  seed: number;
  /** Evaluate (FID, KID, purity, balance of G and of its EMA) every this many epochs; 0 turns it off. */
  evalEvery?: number;
}

/**
 * `gan demo`: the README's main command. Prepares MNIST 7/8 (unless the folder already holds it), then is
 * `gan train --recipe fast --max-minutes <minutes>`: sample grids (also of the EMA generator), attention maps,
 * loss and FID curves, scores and checkpoints in `out`.
 */
export async function demoCommand(options: DemoCommandOptions, io: CommandIO): Promise<TrainCommandResult> {
  const existing = await readdir(options.data).catch(() => [] as string[]);
  if (existing.filter((f) => f.endsWith(".jpg")).length < 400) {
    await prepareCommand({ dataset: "mnist78", out: options.data, perDigit: 200, size: 64, format: "jpg" }, io);
  } else io.log(`data: using the ${existing.length} files already in ${options.data}`);
  const started = performance.now();
  const evalEvery = options.evalEvery ?? 12; // the fast recipe's
  const result = await trainCommand(
    {
      recipe: "fast",
      data: options.data,
      out: options.out,
      backend: options.backend,
      ...(options.threads ? { threads: options.threads } : {}),
      seed: options.seed,
      ...(options.width !== undefined ? { width: options.width } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(evalEvery > 0 ? { evalEvery } : { noEval: true }),
      resume: false,
      // Pictures and checkpoints on the evaluation epochs: the EMA generator's statistics are measured once for all.
      sampleEvery: evalEvery || 5,
      checkpointEvery: evalEvery || 5,
      keep: 2,
      maxMinutes: options.minutes,
      plugin: [],
    },
    io,
  );
  const minutes = (performance.now() - started) / 60_000;
  const fid = evalEvery > 0 ? ` and ${options.out}/fid.png (scores in metrics.jsonl)` : "";
  io.log(
    `demo finished in ${minutes.toFixed(1)} min: open ${options.out}/samples-ema/ (the averaged generator), ${options.out}/samples/, ` +
      `${options.out}/attention/, ${options.out}/losses.png${fid}`,
  );
  return result;
}
