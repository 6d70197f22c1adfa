import { CHECKPOINT_FILES, EMA_GENERATOR_FILE } from "@gan/trainer";
import { CHECKPOINTS_DIR, latestCheckpoint, readRunConfig } from "@gan/trainer/node";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { type ModelSpec, RunExtraSchema, WEB_MANIFEST, type WebManifest, type WebManifestAttention, webManifestAttention, webManifestModel } from "@gan/recipes";

export { WEB_MANIFEST, type WebManifest, type WebManifestAttention };
import type { CommandIO } from "./train";

/** Options of `gan export-web`. */
export interface ExportWebOptions {
  /** A run folder written by `gan train`, or one of its checkpoint folders (default: the latest checkpoint). */
  run: string;
  /** The folder the web page serves the model from (created if needed). */
  out: string;
  /**
   * Export the generator's moving average (`generator-ema.safetensors` of the checkpoint, kept by
   * `gan train --ema`) instead of the trained weights (default false).
   */
  ema?: boolean;
}

/**
 * The attention blocks of the generator `spec` describes (the reference's after layers 3 and 4), named as in its
 * state dict; layer k of the generator outputs a 2^(k+1)-pixel side (4, 8, 16, 32).
 */
/** The run folder and checkpoint folder that `path` (a run or a checkpoint folder) points to. */
async function locateCheckpoint(path: string): Promise<{ runDir: string; checkpoint: string }> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`--run: ${path} does not exist`);
  if (!statSync(full).isDirectory()) throw new Error(`--run: ${path} is a file, expected a run folder (runs/NAME) or a checkpoint folder`);
  if (existsSync(join(full, CHECKPOINT_FILES.generator))) {
    for (let dir = dirname(full); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "config.json"))) return { runDir: dir, checkpoint: full };
      if (dirname(dir) === dir) throw new Error(`--run: no config.json of a run above ${path}, so the model cannot be described`);
    }
  }
  if (!existsSync(join(full, "config.json"))) throw new Error(`--run: ${path} has no config.json; is it a run folder written by 'gan train'?`);
  const latest = await latestCheckpoint(full);
  if (!latest) throw new Error(`--run: ${path} holds no checkpoint (no ${CHECKPOINTS_DIR}/ with a complete step)`);
  return { runDir: full, checkpoint: latest };
}

/** Reads the tensor names and shapes of a safetensors file's header (no tensor data, no tfjs). */
function safetensorsShapes(bytes: Uint8Array, source: string): Map<string, number[]> {
  const fail = (why: string) => new Error(`${source}: not a safetensors file (${why})`);
  if (bytes.byteLength < 8) throw fail(`${bytes.byteLength} bytes`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.byteLength) throw fail(`header length ${headerLen}`);
  let header: Record<string, { shape?: number[] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw fail((e as Error).message);
  }
  const shapes = new Map<string, number[]>();
  for (const [name, entry] of Object.entries(header)) if (name !== "__metadata__" && Array.isArray(entry.shape)) shapes.set(name, entry.shape);
  return shapes;
}

/** Checks that the weights are those of the generator `spec` describes, on a few tell-tale tensors. */
function checkWeights(shapes: Map<string, number[]>, spec: ModelSpec, source: string): void {
  const spectralNorm = spec.model === "sagan" && spec.generatorSpectralNorm !== false;
  const expect: Array<[string, number[]]> = [
    [spectralNorm ? "layer1.0.weight_orig" : "layer1.0.weight", [spec.zDim, spec.width * 8, 4, 4]],
    ["last.0.weight", [spec.workingSize === 32 ? spec.width * 2 : spec.width, spec.channels, 4, 4]],
  ];
  const kind = spec.model === "dcgan" ? "dcgan generator" : `sagan generator ${spectralNorm ? "with spectral norm" : "without spectral norm (--no-g-spectral-norm)"}`;
  if (spec.model === "sagan") expect.push(...webManifestAttention(spec).map((a): [string, number[]] => [`${a.name}.gamma`, [1]]));
  for (const [name, shape] of expect) {
    const got = shapes.get(name);
    if (!got) throw new Error(`${source}: no tensor '${name}'; these are not the weights of a ${kind}`);
    if (got.join() !== shape.join()) {
      const size = spec.workingSize === 32 ? ", working size 32" : "";
      throw new Error(`${source}: '${name}' has shape [${got}], expected [${shape}] for ${spec.model} width ${spec.width}, zDim ${spec.zDim}, ${spec.channels} channel(s)${size}`);
    }
  }
}

/**
 * `gan export-web`: copies a run's generator weights (its latest checkpoint, or the checkpoint folder given;
 * with `ema`, the checkpoint's EMA generator) into `out` as `generator.safetensors`, with a `manifest.json`
 * describing the model, for the web demo (`examples/web-demo`) to load.
 */
export async function exportWebCommand(options: ExportWebOptions, io: CommandIO): Promise<WebManifest> {
  const { runDir, checkpoint } = await locateCheckpoint(options.run);
  const config = await readRunConfig(runDir, RunExtraSchema);
  const spec = config.extra?.model;
  if (!spec?.model) throw new Error(`${join(runDir, "config.json")}: no model description under extra.model (was it written by 'gan train'?)`);
  if (spec.model !== "sagan" && spec.model !== "dcgan") throw new Error(`${join(runDir, "config.json")}: unknown model '${spec.model}'`);
  if (spec.attention) {
    throw new Error(`the run uses the attention layer '${spec.attention}' (a plugin); the web page builds only the reference self-attention`);
  }
  const weightsPath = join(checkpoint, options.ema ? EMA_GENERATOR_FILE : CHECKPOINT_FILES.generator);
  if (options.ema && !existsSync(weightsPath)) {
    throw new Error(`--ema: checkpoint ${checkpoint} has no ${EMA_GENERATOR_FILE} (train with --ema to keep one)`);
  }
  const bytes = await readFile(weightsPath).catch((e: Error) => {
    throw new Error(`cannot read ${weightsPath}: ${e.message}`);
  });
  checkWeights(safetensorsShapes(bytes, weightsPath), spec, weightsPath);

  const backend = (config as { backend?: unknown }).backend;
  const step = /^step-(\d+)$/.exec(basename(checkpoint));
  const manifest: WebManifest = {
    format: "gan-web",
    version: 1,
    model: webManifestModel(spec),
    // A viewer's class picker: the class names in label order, when the conditional run recorded them.
    ...(spec.numClasses !== undefined && config.extra?.classes ? { classes: [...config.extra.classes] } : {}),
    // A viewer's "as in the data" choice: labels in proportion to the images per class the run trained on.
    ...(spec.numClasses !== undefined && config.extra?.classCounts?.length === spec.numClasses ? { classCounts: [...config.extra.classCounts] } : {}),
    imageSize: 64,
    attention: webManifestAttention(spec),
    weights: { file: CHECKPOINT_FILES.generator, bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") },
    source: {
      run: basename(runDir),
      checkpoint: basename(checkpoint),
      step: step ? Number(step[1]) : null,
      backend: typeof backend === "string" ? backend : null,
      ema: options.ema === true,
    },
    exportedAt: new Date().toISOString(),
  };

  await mkdir(options.out, { recursive: true });
  // Weights first, manifest last (each through a rename), so a page never reads a manifest ahead of its weights.
  await writeReplacing(join(options.out, manifest.weights.file), bytes);
  await writeReplacing(join(options.out, WEB_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  const kb = (bytes.byteLength / 1024).toFixed(0);
  const what = `${spec.model}, width ${spec.width}, ${manifest.source.checkpoint}${options.ema ? ", EMA generator" : ""}, ${kb} KiB`;
  io.log(`exported ${manifest.source.run} (${what}) to ${options.out}`);
  return manifest;
}

async function writeReplacing(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
