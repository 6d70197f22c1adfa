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
