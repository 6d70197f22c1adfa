import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchNorm2d } from "./batch-norm2d";
import { Conv2d } from "./conv2d";
import { Random } from "./random";
import { encodeSafetensors } from "./safetensors";
import { Sequential } from "./sequential";
import { spectralNorm } from "./spectral-norm";
import { loadWeights, saveWeights } from "./weights-file";

/** A small net with every kind of state: parameters, a spectral-norm parametrization and BatchNorm buffers. */
function smallNet(seed: number): Sequential {
  const random = new Random(seed);
  return new Sequential(spectralNorm(new Conv2d(2, 3, 3, { padding: 1, random }), { random }), new BatchNorm2d(3));
}

function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/** Loads `path` into a fresh net and expects an error naming the file and matching `message`, the net unchanged. */
async function expectRejected(path: string, message: RegExp, options = {}): Promise<void> {
  const net = smallNet(9);
  const before = Array.from(net.stateDict()["0.weight_orig"].dataSync());
  const error = await loadWeights(net, path, options).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).toContain(path);
  expect(error?.message).toMatch(message);
  expect(Array.from(net.stateDict()["0.weight_orig"].dataSync())).toEqual(before);
  net.dispose();
}

let dir: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "weights-file-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("saveWeights / loadWeights", () => {
  it("round-trips every parameter and buffer into a differently seeded module: identical outputs", async () => {
    const a = smallNet(1);
    const x = tf.randomNormal([2, 5, 5, 2], 0, 1, "float32", 7) as tf.Tensor4D;
    tf.dispose(a.forward(x)); // moves u, v and the running statistics away from their initial values
    a.eval();
    const path = join(dir, "net.safetensors");
    await saveWeights(a, path, { metadata: { epoch: "3" } });

    const b = smallNet(2).eval();
    const before = b.forward(x);
    const expected = a.forward(x);
    expect(tf.max(tf.abs(tf.sub(before, expected))).dataSync()[0]).toBeGreaterThan(1e-3);
    const metadata = await loadWeights(b, path);
    expect(metadata).toEqual({ format: "pt", epoch: "3" });
    const after = b.forward(x);
    expect(Array.from(after.dataSync())).toEqual(Array.from(expected.dataSync()));
    for (const [name, t] of Object.entries(a.stateDict())) {
      const other = b.stateDict()[name];
      expect(other.dtype, name).toBe(t.dtype);
      expect(Array.from(other.dataSync()), name).toEqual(Array.from(t.dataSync()));
    }
    expect(b.stateDict()["1.num_batches_tracked"].dataSync()[0]).toBe(1);
    tf.dispose([x, before, expected, after]);
    a.dispose();
    b.dispose();
  });

  it("writes PyTorch's names and stores int32 buffers as I64, with no temporary file left behind", async () => {
    const net = smallNet(1);
    const path = join(dir, "names.safetensors");
    await saveWeights(net, path);
    const header = headerOf(await readFile(path));
    expect(Object.keys(header).filter((k) => k !== "__metadata__")).toEqual([
      "0.bias",
      "0.weight_orig",
      "0.weight_u",
      "0.weight_v",
      "1.weight",
      "1.bias",
      "1.running_mean",
      "1.running_var",
      "1.num_batches_tracked",
    ]);
    expect(header["1.num_batches_tracked"]).toMatchObject({ dtype: "I64", shape: [] });
    expect(header["0.weight_orig"]).toMatchObject({ dtype: "F32", shape: [3, 2, 3, 3] });
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    net.dispose();
  });

  it("overwrites an existing file atomically and reports an unwritable path by name", async () => {
    const path = join(dir, "overwrite.safetensors");
    await writeFile(path, "old");
    const net = smallNet(1);
    await saveWeights(net, path);
    expect(headerOf(await readFile(path))["0.bias"]).toBeDefined();
    const missingDir = join(dir, "no-such-dir", "w.safetensors");
    await expect(saveWeights(net, missingDir)).rejects.toThrow(`saveWeights: cannot write '${missingDir}'`);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    net.dispose();
  });

  describe("rejects a file that does not fit, naming the file and the tensor, and changes nothing", () => {
    async function writeVariant(name: string, edit: (state: Record<string, tf.Tensor>) => void): Promise<string> {
      const net = smallNet(5);
      const state = { ...net.stateDict() };
      edit(state);
      const path = join(dir, name);
      await writeFile(path, encodeSafetensors(state));
      net.dispose();
      return path;
    }

    it("a missing tensor", async () => {
      const path = await writeVariant("missing.safetensors", (s) => delete s["1.running_var"]);
      await expectRejected(path, /missing key '1\.running_var'/);
    });

    it("an extra tensor", async () => {
      const extra = tf.zeros([2]);
      const path = await writeVariant("extra.safetensors", (s) => {
        s["2.weight"] = extra;
      });
      extra.dispose();
      await expectRejected(path, /unexpected key '2\.weight'/);
    });

    it("a mis-shaped tensor, also when not strict", async () => {
      const wrong = tf.zeros([4]);
      const path = await writeVariant("shape.safetensors", (s) => {
        s["0.weight_u"] = wrong;
      });
      wrong.dispose();
      await expectRejected(path, /'0\.weight_u' has shape \[4\], expected \[3\]/);
      await expectRejected(path, /'0\.weight_u' has shape \[4\]/, { strict: false });
    });

    it("a file that is not safetensors, and a file that does not exist", async () => {
      const junk = join(dir, "junk.safetensors");
      await writeFile(junk, "not a safetensors file at all");
      await expectRejected(junk, /not a safetensors file/);
      await expectRejected(join(dir, "absent.safetensors"), /loadWeights: cannot read/);
    });
  });

  describe("rejects stored dtypes and values that do not fit the module", () => {
    /** smallNet(5)'s state as a file, with tensor `name` stored as `dtype` holding `values` instead. */
    async function writeStored(file: string, name: string, dtype: string, data: Uint8Array): Promise<string> {
      const net = smallNet(5);
      const header: Record<string, unknown> = {};
      const chunks: Uint8Array[] = [];
      let offset = 0;
      for (const [key, t] of Object.entries(net.stateDict())) {
        const stored =
          key === name
            ? { dtype, bytes: data }
            : t.dtype === "int32"
              ? { dtype: "I64", bytes: new Uint8Array(BigInt64Array.from(t.dataSync(), (v) => BigInt(v)).buffer) }
              : { dtype: "F32", bytes: new Uint8Array(Float32Array.from(t.dataSync()).buffer) };
        header[key] = { dtype: stored.dtype, shape: t.shape, data_offsets: [offset, offset + stored.bytes.byteLength] };
        chunks.push(stored.bytes);
        offset += stored.bytes.byteLength;
      }
      net.dispose();
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.byteLength + offset);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
      out.set(json, 8);
      let at = 8 + json.byteLength;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      const path = join(dir, file);
      await writeFile(path, out);
      return path;
    }

    it("I8, U8, I16, I32 and BOOL for a float32 parameter, naming the tensor, its dtype and the expected one", async () => {
      for (const [dtype, width] of [["I8", 1], ["U8", 1], ["I16", 2], ["I32", 4], ["I64", 8], ["BOOL", 1]] as const) {
        const path = await writeStored(`${dtype}.safetensors`, "0.bias", dtype, new Uint8Array(3 * width));
        await expectRejected(path, new RegExp(`'0\\.bias' is stored as ${dtype}, expected F32 \\(or F64, F16, BF16\\) for a float32 parameter`));
      }
    });

    it("a float dtype for the int32 counter num_batches_tracked, while I64, I32 and U8 load", async () => {
      const path = await writeStored("nbt-f32.safetensors", "1.num_batches_tracked", "F32", new Uint8Array(new Float32Array([3]).buffer));
      await expectRejected(path, /'1\.num_batches_tracked' is stored as F32, expected I64 \(or I32, I16, I8, U8\) for an int32 buffer/);
      for (const [dtype, data] of [
        ["I64", new Uint8Array(new BigInt64Array([7n]).buffer)],
        ["I32", new Uint8Array(new Int32Array([7]).buffer)],
        ["U8", new Uint8Array([7])],
      ] as const) {
        const ok = await writeStored(`nbt-${dtype}.safetensors`, "1.num_batches_tracked", dtype, data);
        const net = smallNet(9);
        await loadWeights(net, ok);
        expect(net.stateDict()["1.num_batches_tracked"].dataSync()[0]).toBe(7);
        net.dispose();
      }
    });

    it("NaN and ±Inf in float tensors, with how many there are; F16 and F64 weights load", async () => {
      const weights = Float32Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => i / 100);
      weights[4] = Number.NaN;
      weights[7] = Number.POSITIVE_INFINITY;
      weights[9] = Number.NEGATIVE_INFINITY;
      const path = await writeStored("nan.safetensors", "0.weight_orig", "F32", new Uint8Array(weights.buffer));
      await expectRejected(path, /'0\.weight_orig' has 3 non-finite values \(NaN or ±Inf\)/);
      const f16Inf = await writeStored("inf16.safetensors", "1.running_var", "F16", new Uint8Array(new Uint16Array([0x3c00, 0x7c00, 0x3c00]).buffer));
      await expectRejected(f16Inf, /'1\.running_var' has 1 non-finite value \(NaN or ±Inf\)/);
      const f16 = await writeStored("ok16.safetensors", "1.running_var", "F16", new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0x3800]).buffer));
      const f64 = await writeStored("ok64.safetensors", "1.running_mean", "F64", new Uint8Array(new Float64Array([0.5, -1, 2]).buffer));
      const net = smallNet(9);
      await loadWeights(net, f16);
      expect(Array.from(net.stateDict()["1.running_var"].dataSync())).toEqual([1, 2, 0.5]);
      await loadWeights(net, f64);
      expect(Array.from(net.stateDict()["1.running_mean"].dataSync())).toEqual([0.5, -1, 2]);
      net.dispose();
    });

    it("a tensor named __proto__ or constructor, as any unexpected key", async () => {
      for (const key of ["__proto__", "constructor"]) {
        const net = smallNet(5);
        const bytes = encodeSafetensors({ ...net.stateDict() });
        net.dispose();
        // The same file with an empty tensor named `key` first in the header.
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        const json = new TextDecoder().decode(bytes.subarray(8, 8 + n));
        const text = new TextEncoder().encode(`{"${key}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},${json.slice(1)}`);
        const out = new Uint8Array(8 + text.byteLength + bytes.byteLength - 8 - n);
        new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
        out.set(text, 8);
        out.set(bytes.subarray(8 + n), 8 + text.byteLength);
        const path = join(dir, `${key}.safetensors`);
        await writeFile(path, out);
        await expectRejected(path, new RegExp(`unexpected key '${key}'`));
      }
    });

    it("a PyTorch checkpoint, with how to convert it, and a half-truncated file, with its size", async () => {
      const pth = join(dir, "model.pth");
      await writeFile(pth, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x08, 0x08, 0x00, ...new Uint8Array(100)]));
      await expectRejected(pth, /this is a PyTorch checkpoint \(zip\), not safetensors; convert it with \/usr\/bin\/python3 tools\/convert_pth\.py/);
      const full = join(dir, "full.safetensors");
      const net = smallNet(1);
      await saveWeights(net, full);
      net.dispose();
      const bytes = await readFile(full);
      const half = join(dir, "half.safetensors");
      await writeFile(half, bytes.subarray(0, bytes.byteLength - 40));
      await expectRejected(half, new RegExp(`truncated or corrupt: the file has ${bytes.byteLength - 40} bytes, the header promises ${bytes.byteLength}`));
    });
  });

  it("loads a partial file when strict is false, leaving the rest untouched", async () => {
    const path = join(dir, "partial.safetensors");
    const source = smallNet(3);
    await writeFile(path, encodeSafetensors({ "1.weight": source.stateDict()["1.weight"] }));
    const net = smallNet(4);
    const convBefore = Array.from(net.stateDict()["0.weight_orig"].dataSync());
    await loadWeights(net, path, { strict: false });
    expect(Array.from(net.stateDict()["1.weight"].dataSync())).toEqual(Array.from(source.stateDict()["1.weight"].dataSync()));
    expect(Array.from(net.stateDict()["0.weight_orig"].dataSync())).toEqual(convBefore);
    source.dispose();
    net.dispose();
  });

  it("leaks no tensors", async () => {
    const net = smallNet(1);
    const path = join(dir, "leak.safetensors");
    await saveWeights(net, path);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await saveWeights(net, path);
      await loadWeights(net, path);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
