import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchNorm2d } from "./batch-norm2d";
import { Conv2d } from "./conv2d";
import { Random } from "./random";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";
import { DTYPE_BYTES } from "./safetensors-header";
import { Sequential } from "./sequential";
import { spectralNorm } from "./spectral-norm";
import { loadWeightsFromBytes, weightsToBytes } from "./weights-bytes";

/**
 * Fuzzing the safetensors reader and `loadWeightsFromBytes` with random and structured mutations of valid files.
 * Whatever the bytes, the reader either returns consistent tensors that fit in the file, or throws a plain `Error`
 * naming the source; a module either ends up with finite weights of its own dtypes and shapes, or is unchanged.
 */

const SOURCE = "fuzzed.safetensors";
const SEED = 20261203;
const RUNS = 250;
/** A hang fails the test: both properties finish in about a second. */
const TIMEOUT_MS = 20_000;

/** The same small net as weights-file.test.ts: parameters, spectral-norm buffers, BatchNorm statistics, an int32 counter. */
function smallNet(seed: number): Sequential {
  const random = new Random(seed);
  return new Sequential(spectralNorm(new Conv2d(1, 2, 3, { padding: 1, random }), { random }), new BatchNorm2d(2));
}

let net: Sequential;
let bases: Uint8Array[];

beforeAll(async () => {
  await tf.setBackend("cpu");
  net = smallNet(1);
  const mixed = handMade(
    {
      __metadata__: { format: "pt" },
      h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
      d: { dtype: "F64", shape: [1], data_offsets: [4, 12] },
      n: { dtype: "I64", shape: [], data_offsets: [12, 20] },
      b: { dtype: "BOOL", shape: [2], data_offsets: [20, 22] },
      e: { dtype: "I8", shape: [0, 3], data_offsets: [22, 22] },
    },
    Uint8Array.from({ length: 22 }, (_, i) => (i * 37) % 7),
  );
  const scalars = tf.tidy(() => ({ x: tf.tensor1d([1, -2, 3]), k: tf.scalar(4, "int32") }));
  bases = [weightsToBytes(net), weightsToBytes(smallNet(2)), mixed, encodeSafetensors(scalars, { int64: ["k"] })];
  tf.dispose(Object.values(scalars));
});

afterAll(() => net.dispose());

function handMade(header: object, data: Uint8Array): Uint8Array {
  return assemble(new TextEncoder().encode(JSON.stringify(header)), data);
}

function assemble(header: Uint8Array, data: Uint8Array, headerLength: bigint = BigInt(header.byteLength)): Uint8Array {
  const out = new Uint8Array(8 + header.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, headerLength, true);
  out.set(header, 8);
  out.set(data, 8 + header.byteLength);
  return out;
}

function split(bytes: Uint8Array): { headerText: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { headerText: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

// ---- mutations -------------------------------------------------------------------------------------------------
// Mutations are plain data (so a counterexample prints readably) applied by `applyByte` / `applyHeader`.

type ByteMutation =
  | { flip: number; xor: number }
  | { insertAt: number; insert: number[] }
  | { deleteAt: number; count: number }
  | { truncate: number }
  | { headerLength: bigint }
  | { headerLengthDelta: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ flip: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ insertAt: fc.nat(), insert: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  fc.record({ deleteAt: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ truncate: fc.nat() }),
  fc.record({
    headerLength: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 1n, 100_000_000n, 100_000_001n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
    ),
  }),
  fc.record({ headerLengthDelta: fc.integer({ min: -16, max: 16 }) }),
);

function applyByte(b: Uint8Array, m: ByteMutation): Uint8Array {
  if ("flip" in m) {
    const out = b.slice();
    if (out.byteLength > 0) out[m.flip % out.byteLength] ^= m.xor;
    return out;
  }
  if ("insertAt" in m) {
    const i = m.insertAt % (b.byteLength + 1);
    return Uint8Array.from([...b.subarray(0, i), ...m.insert, ...b.subarray(i)]);
  }
  if ("deleteAt" in m) {
    const i = m.deleteAt % (b.byteLength + 1);
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + m.count)]);
  }
  if ("truncate" in m) return b.slice(0, m.truncate % (b.byteLength + 1));
  const out = b.slice();
  if (out.byteLength < 8) return out;
  const dv = new DataView(out.buffer);
  const next = "headerLength" in m ? m.headerLength : dv.getBigUint64(0, true) + BigInt(m.headerLengthDelta);
  dv.setBigUint64(0, BigInt.asUintN(64, next), true);
  return out;
}

const weirdNumber = fc.oneof(
  fc.integer({ min: -64, max: 256 }),
  fc.double({ noDefaultInfinity: true, noNaN: true }),
  fc.constantFrom(-0, 0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e20, -1, Number.MAX_SAFE_INTEGER),
);
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(weirdNumber, { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "C64", "__proto__", "constructor", "toString"),
);

type HeaderEdit =
  | { pick: number; field: string; value: unknown }
  | { pick: number; offset: 0 | 1; delta: number }
  | { pick: number; dim: number; size: number }
  | { pick: number; dtype: string }
  | { key: string; value: unknown }
  | { remove: number };

const headerEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  // A field of one entry replaced with something odd, or an unknown field added.
  fc.record({ pick: fc.nat(), field: fc.constantFrom("dtype", "shape", "data_offsets", "extra", "__proto__"), value: weirdValue }),
  // One offset moved a little: overlaps, gaps, reversals, negative offsets, a tensor past the end.
  fc.record({ pick: fc.nat(), offset: fc.constantFrom<0 | 1>(0, 1), delta: fc.integer({ min: -24, max: 24 }) }),
  // One dimension of a shape changed, or a dtype changed to another valid one.
  fc.record({ pick: fc.nat(), dim: fc.nat(), size: fc.integer({ min: -2, max: 40 }) }),
  fc.record({ pick: fc.nat(), dtype: fc.constantFrom(...Object.keys(DTYPE_BYTES)) }),
  // Top-level keys: dangerous names, odd metadata; a removed tensor.
  fc.record({ key: fc.constantFrom("__proto__", "constructor", "prototype", "__metadata__", "x"), value: weirdValue }),
  fc.record({ remove: fc.nat() }),
);

type Header = Record<string, unknown>;

function entryNames(header: Header): string[] {
  return Object.keys(header).filter((k) => k !== "__metadata__");
}

function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

function applyHeader(h: Header, edit: HeaderEdit): void {
  if ("key" in edit) {
    setOwn(h, edit.key, edit.value);
    return;
  }
  const names = entryNames(h);
  if (names.length === 0) return;
  if ("remove" in edit) {
    delete h[names[edit.remove % names.length] as string];
    return;
  }
  const entry = h[names[edit.pick % names.length] as string];
  if (typeof entry !== "object" || entry === null) return;
  const e = entry as { shape?: unknown; data_offsets?: unknown };
  if ("field" in edit) setOwn(entry, edit.field, edit.value);
  else if ("dtype" in edit) setOwn(entry, "dtype", edit.dtype);
  else if ("offset" in edit && Array.isArray(e.data_offsets)) e.data_offsets[edit.offset] = (e.data_offsets[edit.offset] ?? 0) + edit.delta;
  else if ("dim" in edit && Array.isArray(e.shape)) e.shape[e.shape.length === 0 ? 0 : edit.dim % e.shape.length] = edit.size;
}

/** Header edits, a key repeated in the JSON text (JSON.parse keeps the last copy), or a whole other JSON header. */
interface Structured {
  edits: HeaderEdit[];
  duplicate: number | null;
  whole: { json: unknown } | null;
}

/** `arb` one time in `odds`, null otherwise. */
function sometimes<T>(arb: fc.Arbitrary<T>, odds: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: odds - 1 }, { arbitrary: arb, weight: 1 });
}

const structured: fc.Arbitrary<Structured> = fc.record({
  edits: fc.array(headerEdit, { minLength: 1, maxLength: 3 }),
  duplicate: sometimes(fc.nat(), 6),
  whole: sometimes(fc.record({ json: weirdValue }), 10),
});

function applyStructured(b: Uint8Array, s: Structured): Uint8Array {
  const { headerText, data } = split(b);
  const header = JSON.parse(headerText) as Header;
  for (const edit of s.edits) applyHeader(header, edit);
  let text = s.whole ? (JSON.stringify(s.whole.json) ?? "null") : JSON.stringify(header);
  const names = entryNames(header);
  if (s.duplicate !== null && names.length > 0 && text.startsWith("{")) {
    const name = names[s.duplicate % names.length] as string;
    const other = header[names[(s.duplicate + 1) % names.length] as string];
    text = `{${JSON.stringify(name)}:${JSON.stringify(other)},${text.slice(1)}`;
  }
  return assemble(new TextEncoder().encode(text), data);
}

/** A base file, maybe a structured rewrite of its header, then up to three byte-level mutations. */
interface Mutated {
  base: number;
  structured: Structured | null;
  bytes: ByteMutation[];
}

const mutated: fc.Arbitrary<Mutated> = fc.oneof(
  { arbitrary: fc.record({ base: fc.nat(), structured, bytes: fc.constant<ByteMutation[]>([]) }), weight: 4 },
  { arbitrary: fc.record({ base: fc.nat(), structured: fc.constant(null), bytes: fc.array(byteMutation, { maxLength: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ base: fc.nat(), structured, bytes: fc.array(byteMutation, { minLength: 1, maxLength: 2 }) }), weight: 1 },
);

function build(m: Mutated): Uint8Array {
  let b = bases[m.base % bases.length] as Uint8Array;
  if (m.structured) b = applyStructured(b, m.structured);
  for (const mutation of m.bytes) b = applyByte(b, mutation);
  return b;
}

// ---- properties ------------------------------------------------------------------------------------------------

/** A failure must be a plain `Error` whose message names the source (never a bare TypeError or RangeError). */
function expectNamedError(e: unknown): void {
  expect(e).toBeInstanceOf(Error);
  expect((e as Error).name).toBe("Error");
  expect((e as Error).message).toContain(SOURCE);
}

function snapshot(m: Sequential): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, Array.from(v.dataSync())]));
}

describe("safetensors fuzz", () => {
  it("the reader returns consistent tensors no larger than the file, or an Error naming the source", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated, (m) => {
        const file = build(m);
        const tensorsBefore = tf.memory().numTensors;
        let content: ReturnType<typeof decodeSafetensors> | undefined;
        try {
          content = decodeSafetensors(file, SOURCE);
        } catch (e) {
          expectNamedError(e);
          expect(tf.memory().numTensors).toBe(tensorsBefore);
          return;
        }
        accepted++;
        let storedBytes = 0;
        for (const [name, t] of Object.entries(content.tensors)) {
          const dtype = content.dtypes[name];
          expect(dtype, name).toBeDefined();
          expect(t.shape.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
          expect(t.dtype).toBe(dtype === "BOOL" ? "bool" : dtype?.startsWith("F") || dtype === "BF16" ? "float32" : "int32");
          storedBytes += t.size * DTYPE_BYTES[dtype as keyof typeof DTYPE_BYTES];
        }
        expect(storedBytes).toBeLessThanOrEqual(file.byteLength);
        for (const v of Object.values(content.metadata)) expect(typeof v).toBe("string");
        tf.dispose(Object.values(content.tensors));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The mutations are not all fatal: some files still decode.
    expect(accepted).toBeGreaterThan(0);
  }, TIMEOUT_MS);

  it("loadWeightsFromBytes leaves finite weights of the module's dtypes and shapes, or an unchanged module and an Error", () => {
    const shapes = Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, [v.dtype, v.shape]]));
    fc.assert(
      fc.property(mutated, (m) => {
        const file = build(m);
        const before = snapshot(net);
        const tensorsBefore = tf.memory().numTensors;
        try {
          loadWeightsFromBytes(net, file, { source: SOURCE });
        } catch (e) {
          expectNamedError(e);
          expect(snapshot(net)).toEqual(before);
          expect(tf.memory().numTensors).toBe(tensorsBefore);
          return;
        }
        expect(tf.memory().numTensors).toBe(tensorsBefore);
        for (const [name, t] of Object.entries(net.stateDict())) {
          expect([t.dtype, t.shape], name).toEqual(shapes[name]);
          expect(Array.from(t.dataSync()).every(Number.isFinite), name).toBe(true);
        }
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});
