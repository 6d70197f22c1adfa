import { decodeSafetensors } from "@gan/layers";
import { type ModelSpec, RunExtraSchema } from "@gan/recipes";
import { type TorchStateDict, tensorsToTorchStateDict, writeTorchFile } from "@gan/torch";
import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { CHECKPOINTS_DIR, CONFIG_FILE, latestCheckpoint, readRunConfig, writeFileAtomic } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ensureQuietBackend } from "../quiet-backend";
import type { CommandIO } from "./train";

/** Options of `gan export-torch`. */
export interface ExportTorchOptions {
  /** A run folder (its latest checkpoint) or one of its checkpoint folders. */
  run: string;
  /** The `.pth` file to write (replaced atomically). */
  out: string;
  /** Export the checkpoint's EMA generator (`generator-ema.safetensors`) as the generator (default false). */
  ema?: boolean;
}

/** What `gan export-torch` wrote. */
export interface ExportTorchResult {
  /** The `.pth` file. */
  file: string;
  /** The checkpoint folder it came from. */
  checkpoint: string;
  /** The entries of the file: `generator`, and `discriminator` when the checkpoint has one. */
  entries: string[];
  /** The run's model (`config.json`'s `extra.model`), when recorded. */
  spec?: ModelSpec;
}

/**
 * `gan export-torch`: writes a run's checkpoint as a PyTorch file, `{"generator": G_sd, "discriminator": D_sd}`
 * (the discriminator when the checkpoint has one; with `ema` the generator is the EMA one), with PyTorch's names,
 * shapes and dtypes (float32 weights, int64 `num_batches_tracked`): for the article's models,
 * `G.load_state_dict(torch.load(file)["generator"])` with tools/reference/reference.py's classes loads it strictly.
 * The tensors are copied from the checkpoint's safetensors files as they are; the file is written atomically.
 */
export async function exportTorchCommand(options: ExportTorchOptions, io: CommandIO): Promise<ExportTorchResult> {
  const { runDir, checkpoint } = await locate(options.run);
  await ensureQuietBackend();
  const spec = (await readRunConfig(runDir, RunExtraSchema)).extra?.model;
  const generatorFile = join(checkpoint, options.ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator);
  if (!existsSync(generatorFile)) {
    throw new Error(options.ema ? `--ema: checkpoint ${checkpoint} has no ${EMA_GENERATOR_FILE} (train with --ema to keep one)` : `${checkpoint} has no ${CHECKPOINT_FILES.generator}`);
  }
  const content: Record<string, TorchStateDict> = { generator: await stateDictOf(generatorFile) };
  const discriminatorFile = join(checkpoint, CHECKPOINT_FILES.discriminator);
  if (existsSync(discriminatorFile)) content.discriminator = await stateDictOf(discriminatorFile);

  const bytes = writeTorchFile(content, { archiveName: archiveName(options.out) });
  const out = resolve(options.out);
  if (existsSync(out) && statSync(out).isDirectory()) throw new Error(`--out: ${options.out} is a folder, expected the .pth file to write`);
  await mkdir(dirname(out), { recursive: true });
  await writeFileAtomic(out, bytes);

  const entries = Object.keys(content);
  const kib = (bytes.byteLength / 1024).toFixed(0);
  io.log(`exported ${basename(runDir)} ${basename(checkpoint)} (${entries.join(" and ")}${options.ema ? ", EMA generator" : ""}, ${kib} KiB) to ${options.out}`);
  const variant = spec ? variantOf(spec) : undefined;
  if (variant) io.log(`note: this run's model (${variant}) is none of the article's classes in tools/reference/reference.py; the state dicts keep its names`);
  return { file: out, checkpoint, entries, ...(spec ? { spec } : {}) };
}

/** The run folder and the checkpoint folder `path` (a run or a checkpoint folder) points to. */
async function locate(path: string): Promise<{ runDir: string; checkpoint: string }> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`${path} does not exist`);
  if (!statSync(full).isDirectory()) throw new Error(`${path} is a file, expected a run folder (runs/NAME) or one of its checkpoint folders`);
  if (existsSync(join(full, CHECKPOINT_FILES.generator))) {
    for (let dir = dirname(full); ; dir = dirname(dir)) {
      if (existsSync(join(dir, CONFIG_FILE))) return { runDir: dir, checkpoint: full };
      if (dirname(dir) === dir) throw new Error(`no ${CONFIG_FILE} of a run above ${path}`);
    }
  }
  if (!existsSync(join(full, CONFIG_FILE))) throw new Error(`${path} has no ${CONFIG_FILE}; is it a run folder written by 'gan train' or 'gan import-torch'?`);
  const latest = await latestCheckpoint(full);
  if (!latest) throw new Error(`${path} holds no checkpoint (no ${CHECKPOINTS_DIR}/ with a complete step)`);
  return { runDir: full, checkpoint: latest };
}

/** A checkpoint's safetensors file as a PyTorch state dict: stored I64 tensors stay int64, the rest as stored. */
async function stateDictOf(file: string): Promise<TorchStateDict> {
  const { tensors, dtypes } = decodeSafetensors(new Uint8Array(await readFile(file)), file);
  try {
    const int64 = Object.keys(dtypes).filter((name) => dtypes[name] === "I64");
    return tensorsToTorchStateDict(tensors, { int64 });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** The folder name inside the zip: the file's name without extension, as torch.save takes it, when it is plain. */
function archiveName(out: string): string {
  const stem = basename(out).replace(/\.[^.]*$/, "");
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(stem) ? stem : "archive";
}

/** How `spec` departs from the article's nets, or undefined for the article's layout (any width, z and channels). */
function variantOf(spec: ModelSpec): string | undefined {
  const parts: string[] = [];
  if (spec.attention) parts.push(`attention layer '${spec.attention}'`);
  const after = spec.attentionAfter?.join(",");
  if (after !== undefined && after !== "3,4") parts.push(`attention after layers ${after || "none"}`);
  const dAfter = spec.discriminatorAttentionAfter?.join(",");
  if (dAfter !== undefined && dAfter !== (after ?? "3,4")) parts.push(`discriminator attention after ${dAfter || "none"}`);
  if (spec.workingSize === 32) parts.push("working size 32");
  if (spec.latentGap) parts.push(`latent gap of ${spec.latentGap.dims}`);
  if (spec.generatorSpectralNorm === false) parts.push("no spectral norm in the generator");
  // reference.py's Self_Attention has in_dim // 8 query and key channels: none below 8 (ours keep one).
  if (spec.model === "sagan" && spec.width < 8) parts.push(`width ${spec.width}, where reference.py's attention would have no query channels`);
  // Fields of later versions (a class-conditional model...): reference.py has none of them.
  const known = ["model", "zDim", "width", "channels", "seed", "attention", "attentionAfter", "discriminatorAttentionAfter", "workingSize", "latentGap", "generatorSpectralNorm"];
  for (const [key, value] of Object.entries(spec)) if (!known.includes(key) && value !== undefined) parts.push(`${key} ${JSON.stringify(value)}`);
  return parts.length > 0 ? `${spec.model} with ${parts.join(", ")}` : undefined;
}
