import * as fs from "node:fs/promises";
import * as path from "node:path";
import { decodeSafetensors } from "@gan/layers";
import { CHECKPOINT_FILES } from "@gan/trainer";
import { encodePng, latestCheckpoint } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";

/** 8 gray 64×64 PNGs: a bright blob at a different place in each. */
export async function writeImageFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const data = new Uint8Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) {
      const v = Math.max(0, 255 - 8 * Math.hypot((p % 64) - (12 + 5 * i), Math.floor(p / 64) - 32));
      data.fill(Math.round(v), 3 * p, 3 * p + 3);
    }
    await fs.writeFile(path.join(dir, `img-${i}.png`), await encodePng({ width: 64, height: 64, data }));
  }
}

/** The tensor names of the generator in a run's latest checkpoint. */
export async function generatorTensorNames(runDir: string): Promise<string[]> {
  const checkpoint = await latestCheckpoint(runDir);
  expect(checkpoint).toBeDefined();
  const bytes = await fs.readFile(path.join(checkpoint as string, CHECKPOINT_FILES.generator));
  const { tensors } = decodeSafetensors(bytes, "generator.safetensors");
  const names = Object.keys(tensors).sort();
  tf.dispose(Object.values(tensors));
  return names;
}
