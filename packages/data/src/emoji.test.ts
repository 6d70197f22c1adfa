import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMOJI_GROUPS, NOTO_COLOR_EMOJI_FONT, prepareEmoji } from "./emoji";
import { DataError } from "./errors";
import { ImageFolder } from "./image-folder";
import { tempDir } from "./test-helpers";

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const installed = existsSync(NOTO_COLOR_EMOJI_FONT);

describe("prepareEmoji", () => {
  it(`writes colour emoji into one sub-folder per group (${installed ? "font installed: real images" : "font not installed: the clear error"})`, async () => {
    const out = join(dir, "emoji");
    const options = { outDir: out, groups: ["Smileys & Emotion", "Animals & Nature"], perGroup: 3, size: 32 };
    if (!installed) {
      await expect(prepareEmoji(options)).rejects.toThrow(/apt-get install fonts-noto-color-emoji/);
      return;
    }
    const r = await prepareEmoji(options);
    expect(r.groups).toEqual(["Smileys & Emotion", "Animals & Nature"]);
    expect(r.labels).toEqual([0, 0, 0, 1, 1, 1]);
    expect(r.paths.map((p) => p.slice(out.length + 1))).toEqual([
      "0-smileys-emotion/grinning_face.png",
      "0-smileys-emotion/grinning_face_with_big_eyes.png",
      "0-smileys-emotion/grinning_face_with_smiling_eyes.png",
      "2-animals-nature/monkey_face.png",
      "2-animals-nature/monkey.png",
      "2-animals-nature/gorilla.png",
    ]);
    expect((await readdir(out)).sort()).toEqual(["0-smileys-emotion", "2-animals-nature"]);
    // RGB, opaque, the corners the white background, and really in colour (a yellow face: red and green far above blue).
    const { data, info } = await sharp(r.paths[0]).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
    expect([...data.subarray(0, 3)]).toEqual([255, 255, 255]);
    const centre = (16 * 32 + 16) * 3;
    expect(data[centre] - data[centre + 2]).toBeGreaterThan(100);
    const ds = await ImageFolder.open(out, { labels: true });
    expect([ds.length, ds.channels, ds.height]).toEqual([6, 3, 32]);
    expect(ds.classes).toEqual(["0-smileys-emotion", "2-animals-nature"]);
  });

  it("explains bad options", async () => {
    await expect(prepareEmoji({ outDir: join(dir, "x"), groups: ["Faces"] })).rejects.toThrow(/groups must be distinct names of/);
    await expect(prepareEmoji({ outDir: join(dir, "x"), size: 4 })).rejects.toThrow(DataError);
    await expect(prepareEmoji({ outDir: join(dir, "x"), perGroup: 0 })).rejects.toThrow(/perGroup/);
    const missing = prepareEmoji({ outDir: join(dir, "x"), fontFile: join(dir, "no-font.ttf") });
    await expect(missing).rejects.toMatchObject({ code: "MISSING_DATASET" });
    await expect(missing).rejects.toThrow(/no emoji font at .*no-font\.ttf: install Debian's fonts-noto-color-emoji/);
    expect(EMOJI_GROUPS).toHaveLength(9);
  });
});
