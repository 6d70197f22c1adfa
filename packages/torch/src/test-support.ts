/** Helpers for the package's tests (not exported from the package): fixtures, hand-made pickles and archives. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeSafetensors } from "@gan/layers";
import { zipSync } from "fflate";
import type * as tf from "@tensorflow/tfjs-core";

/** The path of a file of `packages/torch/fixtures/`. */
export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** The bytes of a fixture. */
export const fixtureBytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));

/** The tensors of a safetensors fixture (the caller disposes them). */
export function outputs(name: string): { tensors: Record<string, tf.Tensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(fixtureBytes(name), name);
  return { tensors, metadata };
}

/** The largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Pickle bytes from opcodes (numbers), strings (`BINUNICODE`) and raw byte arrays. */
export function pickle(...parts: Array<number | string | Uint8Array | readonly number[]>): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") {
      const b = new TextEncoder().encode(p);
      out.push(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    } else out.push(...p);
  }
  return new Uint8Array(out);
}

/** `GLOBAL module\nname\n`. */
export const global = (module: string, name: string) => [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)];

/** Opcodes by name, for hand-made pickles. */
export const OP = {
  PROTO2: [0x80, 2],
  STOP: 0x2e,
  MARK: 0x28,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  APPEND: 0x61,
  REDUCE: 0x52,
  BUILD: 0x62,
  BINPERSID: 0x51,
  NEWFALSE: 0x89,
  BINPUT: 0x71,
  BINGET: 0x68,
  BININT1: 0x4b,
} as const;

/**
 * `torch._utils._rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride, False,
 * OrderedDict())` as pickle bytes.
 */
export function tensorPickle(storage: string, key: string, numel: number, offset: number, size: number[], stride: number[]): number[] {
  const ints = (xs: number[]) => [OP.MARK, ...xs.flatMap((x) => [OP.BININT1, x]), OP.TUPLE];
  return [
    ...global("torch._utils", "_rebuild_tensor_v2"),
    OP.MARK,
    OP.MARK,
    ...pickle("storage"),
    ...global("torch", storage),
    ...pickle(key, "cpu"),
    OP.BININT1,
    numel,
    OP.TUPLE,
    OP.BINPERSID,
    OP.BININT1,
    offset,
    ...ints(size),
    ...ints(stride),
    OP.NEWFALSE,
    ...global("collections", "OrderedDict"),
    OP.EMPTY_TUPLE,
    OP.REDUCE,
    OP.TUPLE,
    OP.REDUCE,
  ];
}

/** A torch.save-like zip: `<prefix>/data.pkl`, `<prefix>/data/<key>` for each storage, `<prefix>/version`. */
export function torchZip(data: Uint8Array, storages: Record<string, Uint8Array> = {}, options: { prefix?: string; version?: string | null; extra?: Record<string, Uint8Array> } = {}): Uint8Array {
  const prefix = options.prefix ?? "archive";
  const files: Record<string, Uint8Array> = { [`${prefix}/data.pkl`]: data };
  for (const [key, bytes] of Object.entries(storages)) files[`${prefix}/data/${key}`] = bytes;
  if (options.version !== null) files[`${prefix}/version`] = new TextEncoder().encode(options.version ?? "3\n");
  Object.assign(files, options.extra ?? {});
  return zipSync(files, { level: 0 });
}

/** The little-endian bytes of float32 values. */
export const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);

/** Debian's Python with PyTorch, which checks our files (tools/parity/check_torch_export.py). */
export const PYTHON = "/usr/bin/python3";
/** The repository's root. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Throws unless `/usr/bin/python3` imports torch: the PyTorch checks need it (CI installs it, see .ci/run). */
export function requirePyTorch(): void {
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`PyTorch is needed to check the .pth files with PyTorch itself: ${PYTHON} -c 'import torch' failed (${r.error?.message ?? r.stderr.trim().split("\n").pop()}); install it (apt-get install python3-torch)`);
  }
}

/** Runs tools/parity/check_torch_export.py with `args`; its JSON report, or an error with its stderr. */
export function checkWithPyTorch(...args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [`${ROOT}tools/parity/check_torch_export.py`, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.error) throw r.error;
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 && !line.startsWith("{")) throw new Error(`check_torch_export.py exited with ${r.status}: ${r.stderr.trim()}`);
  return { ...(JSON.parse(line) as Record<string, unknown>), exitCode: r.status };
}
