import { access, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DataError } from "./errors";
import { classFolderNames } from "./mnist";
import { mapLimit } from "./pool";
import { sharpWithoutCache } from "./sharp-instance";

/** Where Debian's `fonts-noto-color-emoji` package installs Noto Color Emoji. */
export const NOTO_COLOR_EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/** The newest Emoji version the Noto Color Emoji of Debian 12 (2.042) draws: newer code points are left out. */
export const NOTO_EMOJI_VERSION = 15.0;

/** The nine Unicode emoji groups, in Unicode's order (the labels of {@link prepareEmoji}). */
export const EMOJI_GROUPS: readonly string[] = [
  "Smileys & Emotion",
  "People & Body",
  "Animals & Nature",
  "Food & Drink",
  "Travel & Places",
  "Activities",
  "Objects",
  "Symbols",
  "Flags",
];

/** Options of {@link prepareEmoji}. */
export interface PrepareEmojiOptions {
  /** Folder to write into, one sub-folder per group (created if missing; files of the same names are overwritten). */
  outDir: string;
  /** Groups to take, by name as in {@link EMOJI_GROUPS} (default: all nine). */
  groups?: readonly string[];
  /** At most this many emoji per group, in Unicode's order (default: all). */
  perGroup?: number;
  /** Output side in pixels (default 64). */
  size?: number;
  /** The colour behind the emoji, a CSS colour (default white). */
  background?: string;
  /** The font file (default {@link NOTO_COLOR_EMOJI_FONT}). */
  fontFile?: string;
}

/** What {@link prepareEmoji} wrote. */
export interface PreparedEmoji {
  /** The written PNGs, group by group. */
  paths: string[];
  /** Label of each path: its group's index in the `groups` asked for. */
  labels: number[];
  /** The groups, indexed by label. */
  groups: string[];
  /** Emoji left out, and why (newer than the font, drawn as several glyphs). */
  skipped: { emoji: string; name: string; reason: string }[];
}

interface EmojiEntry {
  emoji: string;
  name: string;
  slug: string;
  emoji_version: string;
}

function emojiData(): { name: string; emojis: EmojiEntry[] }[] {
  // tsup's shims make import.meta.url work in the CommonJS build too.
  return createRequire(import.meta.url)("unicode-emoji-json/data-by-group.json");
}

/**
 * An RGB data set without the network: the emoji of Debian's Noto Color Emoji font (`apt-get install
 * fonts-noto-color-emoji`), drawn by sharp (libvips, pango), centred on `background` and resized to
 * `size × size` PNG, into one sub-folder per Unicode group (`0-smileys-emotion`, `2-animals-nature`, …, see
 * {@link classFolderNames}) so that `ImageFolder.open(outDir, { labels: true })` reads them back labelled.
 * The list of emoji and their groups comes from the `unicode-emoji-json` package (Unicode's emoji-test.txt as
 * JSON); skin-tone variants are not in it. Emoji newer than the font ({@link NOTO_EMOJI_VERSION}) and
 * sequences the font draws as several glyphs are skipped and reported. All nine groups give 1,870 images (44 newer emoji skipped).
 */
export async function prepareEmoji(options: PrepareEmojiOptions): Promise<PreparedEmoji> {
  const size = options.size ?? 64;
  const fontFile = options.fontFile ?? NOTO_COLOR_EMOJI_FONT;
  const background = options.background ?? "#ffffff";
  if (!Number.isInteger(size) || size < 8) throw new DataError("BAD_OPTION", `size must be an integer >= 8, got ${size}`);
  if (options.perGroup !== undefined && !(Number.isInteger(options.perGroup) && options.perGroup >= 1)) {
    throw new DataError("BAD_OPTION", `perGroup must be a positive integer, got ${options.perGroup}`);
  }
  const groups = [...(options.groups ?? EMOJI_GROUPS)];
  const unknown = groups.filter((g) => !EMOJI_GROUPS.includes(g));
  if (unknown.length > 0 || groups.length === 0 || new Set(groups).size !== groups.length) {
    throw new DataError("BAD_OPTION", `groups must be distinct names of ${JSON.stringify(EMOJI_GROUPS)}, got ${JSON.stringify(options.groups)}`);
  }
  try {
    await access(fontFile);
  } catch {
    throw new DataError(
      "MISSING_DATASET",
      `no emoji font at ${fontFile}: install Debian's fonts-noto-color-emoji package (apt-get install fonts-noto-color-emoji) or pass fontFile`,
      { file: fontFile },
    );
  }
  const data = emojiData();
  // Folder names keep the group's number among all nine, so a folder has the same name whatever else is asked for.
  const allFolders = classFolderNames(EMOJI_GROUPS);
  const folders = groups.map((g) => allFolders[EMOJI_GROUPS.indexOf(g)]);
  const skipped: PreparedEmoji["skipped"] = [];
  const jobs: { entry: EmojiEntry; label: number; path: string }[] = [];
  groups.forEach((group, label) => {
    const entries = data.find((g) => g.name === group)?.emojis ?? [];
    let taken = 0;
    for (const entry of entries) {
      if (options.perGroup !== undefined && taken >= options.perGroup) break;
      if (Number(entry.emoji_version) > NOTO_EMOJI_VERSION) {
        skipped.push({ emoji: entry.emoji, name: entry.name, reason: `Emoji ${entry.emoji_version}, newer than the font` });
        continue;
      }
      jobs.push({ entry, label, path: join(options.outDir, folders[label], `${entry.slug}.png`) });
      taken++;
    }
  });
  for (const folder of folders) await mkdir(join(options.outDir, folder), { recursive: true });

  const written = await mapLimit(jobs, 4, async ({ entry, path }) => {
    // pango draws the font's 136×128 bitmaps at 109 ppem; 300 dpi lands close to that size.
    const text = sharpWithoutCache()({ text: { text: entry.emoji, font: "Noto Color Emoji", fontfile: fontFile, rgba: true, dpi: 300 } });
    const { data: pixels, info } = await text.raw().toBuffer({ resolveWithObject: true });
    // A sequence the font has no single glyph for comes out as a row of glyphs: wider than tall.
    if (info.width > info.height * 1.3) {
      skipped.push({ emoji: entry.emoji, name: entry.name, reason: `drawn as ${info.width}×${info.height} pixels: several glyphs` });
      return false;
    }
    // sharp flattens before it resizes, whatever the call order: the padding gets the background colour too.
    await sharpWithoutCache()(pixels, { raw: { width: info.width, height: info.height, channels: 4 } })
      .flatten({ background })
      .resize(size, size, { fit: "contain", background, kernel: "lanczos3" })
      .removeAlpha()
      .png()
      .toFile(path);
    return true;
  });
  const kept = jobs.filter((_, i) => written[i]);
  return { paths: kept.map((j) => j.path), labels: kept.map((j) => j.label), groups, skipped };
}
