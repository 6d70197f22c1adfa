import { encodeSafetensors } from "@gan/layers";
import { type ModelName, type ModelSpec, buildModels, checkModelSpec } from "@gan/recipes";
import {
  TorchDict,
  TorchFileError,
  type TorchStateDict,
  type TorchValue,
  asTorchStateDict,
  describeValue,
  isTorchStateDict,
  loadTorchStateDict,
  readTorchFile,
} from "@gan/torch";
import { CHECKPOINT_FILES } from "@gan/trainer";
import { CHECKPOINTS_DIR, CONFIG_FILE, packageVersions, writeCheckpoint, writeFileAtomic } from "@gan/trainer/node";
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import packageJson from "../../package.json";
import { ensureQuietBackend } from "../quiet-backend";
import type { CommandIO } from "./train";

/** Options of `gan import-torch`. */
export interface ImportTorchOptions {
  /** The `torch.save` file (`.pth`, `.pt`). */
  file: string;
  /** The article's model the weights are of. */
  model: ModelName;
  /** The run folder to create; refused when it already holds a run. */
  out: string;
  /**
   * The generator's entry in a dict of state dicts. Default: `generator`, `G` or `netG`, whichever is there, or the
   * whole file when it is a state dict.
   */
  key?: string;
  /** The discriminator's entry. Default: `discriminator`, `D` or `netD` when there (none for a bare state dict). */
  discriminatorKey?: string;
  /** The latent size the weights must have (default: read from them). */
  zDim?: number;
  /** The width multiplier the weights must have (default: read from them). */
  width?: number;
}

/** What `gan import-torch` made. */
export interface ImportTorchResult {
  /** The run folder. */
  runDir: string;
  /** The checkpoint folder (`<run>/checkpoints/step-0000000`). */
  checkpoint: string;
  /** The model as `config.json` records it (`extra.model`). */
  spec: ModelSpec;
  /** Where in the file the generator's and the discriminator's state dicts were (`null`: the whole file; absent: none). */
  entries: { generator: string | null; discriminator?: string };
}

/** The entries a dict of state dicts commonly names its nets. */
export const GENERATOR_KEYS = ["generator", "G", "netG"] as const;
/** See {@link GENERATOR_KEYS}. */
export const DISCRIMINATOR_KEYS = ["discriminator", "D", "netD"] as const;

/** The state of the checkpoint an import writes (`state.json`): not a trainer checkpoint, so it cannot be resumed. */
export const IMPORTED_CHECKPOINT_FORMAT = "gan-toolkit/imported-weights";

/**
 * `gan import-torch`: reads a PyTorch `.pth` file of the article's SAGAN or DCGAN (a generator state dict, or a
 * dict holding the generator's and the discriminator's) with `@gan/torch`'s safe reader, infers z_dim, width and
 * channels from the weights' shapes, loads them strictly into the toolkit's model, and writes a run folder
 * (`config.json`, `checkpoints/step-0000000/generator.safetensors` and `discriminator.safetensors`) that
 * `gan sample`, `gan eval`, `gan export-web` and `gan export-torch` take. Errors name the file and, for weights that
 * do not fit, every missing, unexpected or mis-shaped tensor.
 */
export async function importTorchCommand(options: ImportTorchOptions, io: CommandIO): Promise<ImportTorchResult> {
  const out = resolve(options.out);
  checkOutFolder(options.out, out);
  await ensureQuietBackend();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(options.file));
  } catch (e) {
    throw new Error(`cannot read ${options.file}: ${(e as Error).message}`);
  }
  const file = readTorchFile(bytes, { source: options.file });
  const picked = pickStateDicts(file, options);
  const where = (entry: string | null) => (entry === null ? options.file : `${options.file}: entry '${entry}'`);
  const spec = specOf(picked.generator, options, where(picked.entries.generator));
  checkModelSpec(spec, `${options.file} (the model its weights describe)`);

  const { generator, discriminator } = buildModels(spec);
  try {
    loadTorchStateDict(generator, picked.generator, { source: where(picked.entries.generator) });
    if (picked.discriminator) loadTorchStateDict(discriminator, picked.discriminator, { source: where(picked.entries.discriminator ?? null) });

    const files: Record<string, Uint8Array> = { [CHECKPOINT_FILES.generator]: safetensorsOf(generator, options.file) };
    if (picked.discriminator) files[CHECKPOINT_FILES.discriminator] = safetensorsOf(discriminator, options.file);
    const count = (net: { parameters(): tf.Variable[] }) => net.parameters().reduce((n, p) => n + p.size, 0);
    const config = {
      models: { zDim: spec.zDim, generatorParameters: count(generator), discriminatorParameters: count(discriminator) },
      data: {},
      backend: tf.getBackend(),
      versions: packageVersions({ "@gan/cli": packageJson.version }),
      extra: {
        model: spec,
        importedFrom: {
          file: resolve(options.file),
          format: "torch.save",
          sha256: createHash("sha256").update(bytes).digest("hex"),
          entries: picked.entries,
        },
      },
      createdAt: new Date().toISOString(),
    };
    await mkdir(out, { recursive: true });
    await writeFileAtomic(join(out, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
    const state = { format: IMPORTED_CHECKPOINT_FORMAT, version: 1, step: 0, source: resolve(options.file), time: config.createdAt };
    const checkpoint = await writeCheckpoint(join(out, CHECKPOINTS_DIR), "step-0000000", { state, files });

    const what = `${spec.model} (z ${spec.zDim}, width ${spec.width}, ${spec.channels} channel${spec.channels === 1 ? "" : "s"})`;
    const nets = `generator${picked.discriminator ? " and discriminator" : " (the file has no discriminator)"}`;
    io.log(`imported the ${nets} of ${what} from ${options.file} into ${checkpoint}`);
    return { runDir: out, checkpoint, spec, entries: picked.entries };
  } finally {
    generator.dispose();
    discriminator.dispose();
  }
}

/** A net's state dict as a checkpoint's safetensors file, as the trainer writes it (int32 buffers as I64). */
function safetensorsOf(net: { stateDict(): Record<string, tf.Tensor> }, file: string): Uint8Array {
  const state = net.stateDict();
  const int64 = Object.keys(state).filter((name) => state[name].dtype === "int32");
  return encodeSafetensors(state, { int64, metadata: { format: "pt", source: "torch.save", file: basename(file) } });
}

/** Refuses an `--out` that is a file or already holds a run (config.json or checkpoints). */
function checkOutFolder(given: string, out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new Error(`--out: ${given} is a file, expected a folder for the new run`);
  const checkpoints = join(out, CHECKPOINTS_DIR);
  const hasCheckpoints = existsSync(checkpoints) && readdirSync(checkpoints).length > 0;
  if (hasCheckpoints || existsSync(join(out, CONFIG_FILE))) {
    throw new Error(`--out: ${given} already holds a run (${hasCheckpoints ? `${CHECKPOINTS_DIR}/` : CONFIG_FILE}); import into a new folder, nothing is overwritten`);
  }
}

/** The generator's and the discriminator's state dicts in what the file holds. */
function pickStateDicts(
  value: TorchValue,
  options: ImportTorchOptions,
): { generator: TorchStateDict; discriminator?: TorchStateDict; entries: ImportTorchResult["entries"] } {
  const source = options.file;
  const entry = (dict: TorchDict, key: string, flag: string) => {
    if (!dict.has(key)) throw new TorchFileError(`${source}: has no entry '${key}' (${flag}); its keys: ${keys(dict)}`);
    return asTorchStateDict(dict.get(key) as TorchValue, `${source}: entry '${key}'`);
  };
  if (options.key === undefined && isTorchStateDict(value)) {
    if (options.discriminatorKey !== undefined) {
      throw new TorchFileError(`${source}: is a single state dict (the generator's), so it has no entry '${options.discriminatorKey}' (--discriminator-key)`);
    }
    return { generator: asTorchStateDict(value, source), entries: { generator: null } };
  }
  if (!(value instanceof TorchDict)) {
    throw new TorchFileError(`${source}: holds ${describeValue(value)}, expected a state dict or a dict of them ({"generator": ..., "discriminator": ...})`);
  }
  const generatorKey = options.key ?? GENERATOR_KEYS.find((k) => value.has(k));
  if (generatorKey === undefined) {
    throw new TorchFileError(
      `${source}: is neither a state dict nor a dict with a generator entry (${GENERATOR_KEYS.join(", ")}); its keys: ${keys(value)}. Name the generator's entry with --key`,
    );
  }
  const discriminatorKey = options.discriminatorKey ?? DISCRIMINATOR_KEYS.find((k) => value.has(k));
  return {
    generator: entry(value, generatorKey, "--key"),
    ...(discriminatorKey !== undefined ? { discriminator: entry(value, discriminatorKey, "--discriminator-key") } : {}),
    entries: { generator: generatorKey, ...(discriminatorKey !== undefined ? { discriminator: discriminatorKey } : {}) },
  };
}

function keys(dict: TorchDict): string {
  const names = [...dict.keys()].map((k) => (typeof k === "string" ? `'${k}'` : String(k)));
  return names.length === 0 ? "none" : names.slice(0, 12).join(", ") + (names.length > 12 ? ", ..." : "");
}

/**
 * The article's model whose generator has these weights: z_dim and width from its first layer (`[z, 8·width, 4, 4]`),
 * channels from its last (`[width, channels, 4, 4]`); SAGAN without spectral norm in G when the first weight is
 * `layer1.0.weight` rather than `weight_orig`. `--z-dim` and `--width` must agree.
 */
function specOf(g: TorchStateDict, options: ImportTorchOptions, where: string): ModelSpec {
  const model = options.model;
  const other = model === "sagan" ? "dcgan" : "sagan";
  const looksLikeSagan = Object.keys(g).some((k) => k.startsWith("self_attntion"));
  const first = g["layer1.0.weight_orig"] ?? g["layer1.0.weight"];
  const last = g["last.0.weight"];
  if (!first || !last || looksLikeSagan !== (model === "sagan")) {
    const hint = looksLikeSagan !== (model === "sagan") ? `; they look like ${other}'s (pass --model ${other})` : "";
    const found = Object.keys(g).slice(0, 4).join(", ");
    throw new TorchFileError(
      `${where}: these are not the weights of the article's ${model} generator (expected layer1.0.weight${model === "sagan" ? "_orig" : ""}, last.0.weight${model === "sagan" ? ", self_attntion1.*" : ""}; found ${found}${Object.keys(g).length > 4 ? ", ..." : ""})${hint}`,
    );
  }
  const firstName = g["layer1.0.weight_orig"] ? "layer1.0.weight_orig" : "layer1.0.weight";
  const [zDim, wide, kh, kw] = first.shape;
  if (first.shape.length !== 4 || kh !== 4 || kw !== 4 || wide % 8 !== 0 || wide === 0) {
    throw new TorchFileError(`${where}: '${firstName}' has shape [${first.shape}], expected [z_dim, 8 × width, 4, 4] as the article's first layer`);
  }
  const width = wide / 8;
  const channels = last.shape[1];
  if (last.shape.length !== 4 || (channels !== 1 && channels !== 3)) {
    throw new TorchFileError(`${where}: 'last.0.weight' has shape [${last.shape}], expected [width, 1 or 3 channels, 4, 4]`);
  }
  for (const [flag, given, found, name] of [
    ["--z-dim", options.zDim, zDim, "z_dim"],
    ["--width", options.width, width, "width"],
  ] as const) {
    if (given !== undefined && given !== found) {
      throw new TorchFileError(`${flag} ${given}, but ${where} holds the weights of ${name} ${found} ('${firstName}' has shape [${first.shape}])`);
    }
  }
  return {
    model,
    zDim,
    width,
    channels: channels as 1 | 3,
    seed: 0,
    ...(model === "sagan" && firstName === "layer1.0.weight" ? { generatorSpectralNorm: false } : {}),
  };
}
