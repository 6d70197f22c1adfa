#!/usr/bin/env node
// Packs every publishable @gan package (as `pnpm publish` would: workspace:^ ranges become versions) into one
// folder, to try the packages in another project before they are published. Run after `pnpm build`:
//   node tools/pack-all.mjs [folder=packs]          (pnpm pack:all)
// then, in your project: npm install <folder>/*.tgz @tensorflow/tfjs-core@4.22.0
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pack, publishablePackages } from "./check-packages.mjs";

const dest = resolve(process.argv[2] ?? "packs");
mkdirSync(dest, { recursive: true });
const packages = publishablePackages();
const unbuilt = packages.filter((p) => !existsSync(resolve(p.dir, "dist")));
if (unbuilt.length > 0) {
  console.error(`pack:all: not built: ${unbuilt.map((p) => p.name).join(", ")} (run pnpm build first)`);
  process.exit(1);
}
const tarballs = packages.map((p) => pack(p.dir, dest).tarball);
for (const t of tarballs) console.log(t);
console.log(`\n${tarballs.length} tarballs in ${dest}. In your project:\n  npm install ${dest}/*.tgz @tensorflow/tfjs-core@4.22.0`);
