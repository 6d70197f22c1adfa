import { prepareMnist } from "@gan/data/node";
import type { CommandIO } from "./train";

/** The data sets `gan prepare` builds. */
export const DATASETS = ["mnist78", "mnist", "fashion-mnist"] as const;

/** Options of `gan prepare`. */
export interface PrepareCommandOptions {
  dataset: (typeof DATASETS)[number];
  out: string;
  digits?: number[];
  perDigit: number;
  size: number;
  format: "jpg" | "png";
}

/**
 * `gan prepare mnist78`: the reference's `img_78` folder (first 200 MNIST 7s and 8s, 64×64 bicubic, JPEG).
 * `mnist` with `--digits` picks other digits; `fashion-mnist` reads Debian's dataset-fashion-mnist package.
 */
export async function prepareCommand(options: PrepareCommandOptions, io: CommandIO): Promise<string[]> {
  const digits = options.digits ?? (options.dataset === "fashion-mnist" ? [0, 1] : [7, 8]);
  const paths = await prepareMnist({
    dataset: options.dataset === "fashion-mnist" ? "fashion-mnist" : "mnist",
    digits,
    perDigit: options.perDigit,
    size: options.size,
    format: options.format,
    outDir: options.out,
  });
  io.log(`wrote ${paths.length} images (${digits.join(", ")} × ${options.perDigit}, ${options.size}×${options.size}) to ${options.out}`);
  return paths;
}
