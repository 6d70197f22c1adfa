import { EMOJI_GROUPS, FASHION_MNIST_CLASSES, prepareEmoji, prepareMnist } from "@gan/data/node";
import type { CommandIO } from "./train";

/** The data sets `gan prepare` builds. */
export const DATASETS = ["mnist78", "mnist", "fashion-mnist", "emoji"] as const;

/** Where each data set goes without `--out`. */
export const DEFAULT_PREPARE_OUT: Record<(typeof DATASETS)[number], string> = {
  mnist78: "data/img_78",
  mnist: "data/mnist",
  "fashion-mnist": "data/fashion-mnist",
  emoji: "data/emoji",
};

/** Options of `gan prepare`. */
export interface PrepareCommandOptions {
  dataset: (typeof DATASETS)[number];
  /** Output folder (default {@link DEFAULT_PREPARE_OUT} of the data set). */
  out?: string;
  /** Labels to take (default: 7 and 8 for mnist78, all otherwise); for emoji, indices of `EMOJI_GROUPS`. */
  digits?: number[];
  /** Images per label (default 200; emoji: all of each group). */
  perDigit?: number;
  size: number;
  format: "jpg" | "png";
  /**
   * One flat folder instead of a sub-folder per class (default: flat for mnist78, the reference's `img_78`;
   * class sub-folders for mnist and fashion-mnist, which `ImageFolder` reads back with labels).
   */
  flat?: boolean;
}

const ALL_LABELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/**
 * `gan prepare mnist78`: the reference's `img_78` folder (first 200 MNIST 7s and 8s, 64×64 bicubic, JPEG, flat).
 * `mnist` and `fashion-mnist` (Debian's dataset-fashion-mnist package): all ten classes by default, one
 * sub-folder per class; `--digits` picks labels, `--flat` writes one folder.
 */
export async function prepareCommand(options: PrepareCommandOptions, io: CommandIO): Promise<string[]> {
  if (options.dataset === "emoji") return prepareEmojiCommand(options, io);
  const perDigit = options.perDigit ?? 200;
  const reference = options.dataset === "mnist78";
  const digits = options.digits ?? (reference ? [7, 8] : ALL_LABELS);
  const out = options.out ?? DEFAULT_PREPARE_OUT[options.dataset];
  const classFolders = !(options.flat ?? reference);
  const paths = await prepareMnist({
    dataset: options.dataset === "fashion-mnist" ? "fashion-mnist" : "mnist",
    digits,
    perDigit,
    size: options.size,
    format: options.format,
    outDir: out,
    classFolders,
  });
  const names = options.dataset === "fashion-mnist" ? digits.map((d) => `${d} ${FASHION_MNIST_CLASSES[d]}`) : digits.map(String);
  io.log(
    `wrote ${paths.length} images (${names.join(", ")}; ${perDigit} each, ${options.size}×${options.size}) to ${out}${classFolders ? ", one sub-folder per class" : ""}`,
  );
  return paths;
}

/** `gan prepare emoji`: Noto Color Emoji (Debian's fonts-noto-color-emoji), RGB, one sub-folder per Unicode group. */
async function prepareEmojiCommand(options: PrepareCommandOptions, io: CommandIO): Promise<string[]> {
  if (options.format !== "png") throw new Error("--format: emoji are written as PNG (colour and sharp edges), not jpg");
  if (options.flat) throw new Error("--flat: emoji are always written one sub-folder per group");
  const bad = (options.digits ?? []).filter((d) => !(d >= 0 && d < EMOJI_GROUPS.length));
  if (bad.length > 0) throw new Error(`--digits: emoji groups are 0…${EMOJI_GROUPS.length - 1} (${EMOJI_GROUPS.map((g, i) => `${i} ${g}`).join(", ")}), got ${bad.join(", ")}`);
  const out = options.out ?? DEFAULT_PREPARE_OUT.emoji;
  const r = await prepareEmoji({
    outDir: out,
    groups: options.digits?.map((d) => EMOJI_GROUPS[d]),
    size: options.size,
    ...(options.perDigit === undefined ? {} : { perGroup: options.perDigit }),
  });
  io.log(`wrote ${r.paths.length} emoji (${r.groups.join(", ")}; ${options.size}×${options.size} RGB PNG) to ${out}, one sub-folder per group; skipped ${r.skipped.length} the font does not draw`);
  return r.paths;
}
