import type { BackendName } from "@gan/backend";
import { readdir } from "node:fs/promises";
import { prepareCommand } from "./prepare";
import { type CommandIO, trainCommand } from "./train";

/** Options of `gan demo`. */
export interface DemoCommandOptions {
  out: string;
  data: string;
  minutes: number;
  backend: BackendName;
  threads?: number | "auto";
  width: number;
  batchSize: number;
  epochs: number;
  seed: number;
}

/**
 * `gan demo`: the README's main command. Prepares MNIST 7/8 (unless the folder already holds it), trains a
 * SAGAN for at most `minutes` and leaves sample grids, attention maps, loss curves and checkpoints in `out`.
 * The width is smaller than the reference's so that the embedded backend shows digits within minutes.
 */
export async function demoCommand(options: DemoCommandOptions, io: CommandIO): Promise<void> {
  const existing = await readdir(options.data).catch(() => [] as string[]);
  if (existing.filter((f) => f.endsWith(".jpg")).length < 400) {
    await prepareCommand({ dataset: "mnist78", out: options.data, perDigit: 200, size: 64, format: "jpg" }, io);
  } else io.log(`data: using the ${existing.length} files already in ${options.data}`);
  const started = performance.now();
  await trainCommand(
    {
      model: "sagan",
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
      sampleEvery: 1,
      checkpointEvery: 1,
      keep: 2,
      maxMinutes: options.minutes,
      plugin: [],
    },
    io,
  );
  const minutes = (performance.now() - started) / 60_000;
  io.log(`demo finished in ${minutes.toFixed(1)} min: open ${options.out}/samples/, ${options.out}/attention/ and ${options.out}/losses.png`);
}
