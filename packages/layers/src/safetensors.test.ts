import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../test/parity";
import { countSyncReads } from "../test/sync-reads";
import { BatchNorm2d, decodeSafetensors, encodeSafetensors, encodeSafetensorsAsync } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function values(t: tf.Tensor | undefined): number[] {
  if (!t) throw new Error("tensor missing");
  return Array.from(t.dataSync());
}

/** Builds a safetensors file by hand from a header and raw data bytes. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe("safetensors", () => {
  it("round-trips float32, int32, I64 and bool tensors with metadata, in order", () => {
    const tensors = {
      "layer1.0.weight": tf.tensor4d([0.5, -1.25, 3e-8, 7], [1, 1, 2, 2]),
      count: tf.scalar(-3, "int32"),
      "layer1.1.num_batches_tracked": tf.scalar(2147483647, "int32"),
      mask: tf.tensor1d([true, false, true], "bool"),
      empty: tf.zeros([0, 4]),
    };
    const bytes = encodeSafetensors(tensors, { metadata: { epoch: "3" }, int64: ["layer1.1.num_batches_tracked"] });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header["layer1.1.num_batches_tracked"].dtype).toBe("I64");
    expect(header.count.dtype).toBe("I32");

    const back = decodeSafetensors(bytes);
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    expect(back.metadata).toEqual({ epoch: "3" });
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors[name] as tf.Tensor;
      expect(r.shape, name).toEqual(t.shape);
      expect(r.dtype, name).toBe(t.dtype);
      expect(values(r), name).toEqual(values(t));
    }
    tf.dispose([...Object.values(tensors), ...Object.values(back.tensors)]);
  });

  it("encodes the same bytes asynchronously (encodeSafetensorsAsync: await data(), no synchronous download)", async () => {
    const tensors = {
      w: tf.tensor2d([0.5, -1.25, 3e-8, 7, Number.NaN, -0], [2, 3]),
      "bn.num_batches_tracked": tf.scalar(12, "int32"),
      i: tf.tensor1d([-1, 2], "int32"),
      mask: tf.tensor1d([true, false], "bool"),
      empty: tf.zeros([0, 4]),
    };
    const options = { metadata: { format: "pt" }, int64: ["bn.num_batches_tracked"] };
    const sync = encodeSafetensors(tensors, options);
    const { result: async, reads } = await countSyncReads(() => encodeSafetensorsAsync(tensors, options));
    expect(reads).toBe(0);
    expect(Buffer.from(async).equals(Buffer.from(sync))).toBe(true);
    const text = tf.tensor1d(["a"], "string");
    await expect(encodeSafetensorsAsync({ s: text })).rejects.toThrow(/tensor 's' has dtype string, which cannot be stored/);
    tf.dispose([text, ...Object.values(tensors)]);
  });

  it("reads a file written by tools/parity/common.py (every dtype it emits, unaligned data, 0-d and empty tensors)", () => {
    const { tensors, metadata } = loadFixture("layers_interop.safetensors");
    expect(metadata).toEqual({ format: "pt", written_by: "common.py" });
    expect(tensors.f32_matrix?.shape).toEqual([2, 3]);
    expect(values(tensors.f32_matrix)).toEqual([-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    expect(tensors.f32_scalar?.shape).toEqual([]);
    expect(values(tensors.f32_scalar)).toEqual([3.25]);
    expect(tensors.i32_vector?.dtype).toBe("int32");
    expect(values(tensors.i32_vector)).toEqual([-7, 0, 2147483647]);
    expect(tensors.i64_vector?.dtype).toBe("int32");
    expect(values(tensors.i64_vector)).toEqual([-2147483648, -1, 5, 123456789]);
    expect(tensors.bool_vector?.dtype).toBe("bool");
    expect(values(tensors.bool_vector)).toEqual([1, 0, 1]);
    expect(values(tensors.f64_as_f32)).toEqual([Math.fround(0.1), -2.5]);
    expect(tensors.empty?.shape).toEqual([0, 3]);

    // A BatchNorm's counter saved by PyTorch (I64, 0-d) loads into ours.
    const bn = new BatchNorm2d(2);
    const nbt = tensors.num_batches_tracked as tf.Tensor;
    expect(nbt.shape).toEqual([]);
    bn.loadStateDict({ num_batches_tracked: nbt }, { strict: false });
    expect(values(bn.getBuffer("num_batches_tracked"))).toEqual([2]);
    bn.dispose();
    tf.dispose(Object.values(tensors));
  });

  it("decodes F16, BF16 and small integer types", () => {
    const f16 = [0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00, 0x0000];
    const bf16 = [0x3f80, 0xc0a0];
    const data = new Uint8Array(12 + 4 + 2 + 2);
    const dv = new DataView(data.buffer);
    for (const [i, h] of f16.entries()) dv.setUint16(2 * i, h, true);
    for (const [i, h] of bf16.entries()) dv.setUint16(12 + 2 * i, h, true);
    dv.setInt16(16, -300, true);
    dv.setInt8(18, -5);
    dv.setUint8(19, 250);
    const { tensors } = decodeSafetensors(
      handMade(
        {
          h: { dtype: "F16", shape: [6], data_offsets: [0, 12] },
          b: { dtype: "BF16", shape: [2], data_offsets: [12, 16] },
          s: { dtype: "I16", shape: [1], data_offsets: [16, 18] },
          i: { dtype: "I8", shape: [1], data_offsets: [18, 19] },
          u: { dtype: "U8", shape: [1], data_offsets: [19, 20] },
        },
        data,
      ),
    );
    expect(values(tensors.h)).toEqual([1, -2, 0.5, Math.fround(2 ** -24), Number.POSITIVE_INFINITY, 0]);
    expect(values(tensors.b)).toEqual([1, -5]);
    expect([...values(tensors.s), ...values(tensors.i), ...values(tensors.u)]).toEqual([-300, -5, 250]);
    tf.dispose(Object.values(tensors));
  });

  it("rejects malformed data with errors naming the source and the tensor", () => {
    expect(() => decodeSafetensors(new Uint8Array(4), "a.safetensors")).toThrow(/a.safetensors: not a safetensors file \(4 bytes/);
    const tooLong = new Uint8Array(16);
    new DataView(tooLong.buffer).setBigUint64(0, 100n, true);
    expect(() => decodeSafetensors(tooLong, "b.safetensors")).toThrow(/b.safetensors: .*header length 100 exceeds file size 16/);
    const notJson = handMade({}, new Uint8Array(0));
    notJson.set(new TextEncoder().encode("{x"), 8);
    expect(() => decodeSafetensors(notJson, "c")).toThrow(/c: not a safetensors file \(header is not JSON/);
    const short = handMade({ w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => decodeSafetensors(short, "d")).toThrow(/d: tensor 'w' \(F32 \[2,2\]\) has 8 bytes, expected 16/);
    const odd = handMade({ z: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => decodeSafetensors(odd, "e")).toThrow(/e: tensor 'z' has unsupported dtype C64/);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() => decodeSafetensors(handMade({ n: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big), "f")).toThrow(
      /f: tensor 'n' holds 1099511627776, beyond int32/,
    );
    const s = tf.tensor(["a"]);
    expect(() => encodeSafetensors({ s })).toThrow(/tensor 's' has dtype string, which cannot be stored/);
    s.dispose();
  });
});

/** A valid two-tensor file: 'a' F32 [2] at [0, 8], 'b' I32 [1] at [8, 12]. */
function twoTensors(patch: Record<string, unknown> = {}): Uint8Array {
  return handMade(
    {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "I32", shape: [1], data_offsets: [8, 12] },
      ...patch,
    },
    new Uint8Array(12),
  );
}

/** Raw header text with `text` as the JSON, followed by `data`. */
function rawHeader(text: string, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe("safetensors reader: malformed files", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["negative offsets (header bytes read as weights)", twoTensors({ a: { dtype: "F32", shape: [2], data_offsets: [-8, 0] } }), /f: tensor 'a' has data_offsets \[-8,0\], expected \[begin, end\]/],
    ["non-integer offsets", twoTensors({ a: { dtype: "F32", shape: [2], data_offsets: [0.5, 8.5] } }), /f: tensor 'a' has data_offsets \[0\.5,8\.5\]/],
    ["reversed offsets", twoTensors({ a: { dtype: "F32", shape: [0], data_offsets: [8, 0] } }), /f: tensor 'a' has data_offsets \[8,0\], expected \[begin, end\] with 0 ≤ begin ≤ end/],
    ["offsets that are not a pair", twoTensors({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8, 9] } }), /f: tensor 'a' has data_offsets \[0,8,9\]/],
    [
      "overlapping offsets",
      handMade(
        { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
        new Uint8Array(12),
      ),
      /f: tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/,
    ],
    [
      "a gap in the data section",
      handMade(
        { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } },
        new Uint8Array(12),
      ),
      /f: bytes \[4, 8\] of the data section belong to no tensor/,
    ],
    ["offsets past the data section", twoTensors({ b: { dtype: "I32", shape: [2], data_offsets: [8, 16] } }), /f: truncated or corrupt: the file has 128 bytes, the header promises 132 \(tensor 'b' ends at byte 16 of a 12-byte data section\)/],
    [
      "trailing bytes after the tensors",
      handMade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(12)),
      /f: the data section has 12 bytes, but the tensors span 4/,
    ],
    ["a negative shape entry", twoTensors({ a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }), /f: tensor 'a' has shape \[-2\], expected at most 32 non-negative integers/],
    ["a non-integer shape entry", twoTensors({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 8] } }), /f: tensor 'a' has shape \[1\.5\]/],
    ["an absurd shape entry", twoTensors({ a: { dtype: "F32", shape: [0, 1e20], data_offsets: [0, 0] } }), /f: tensor 'a' has shape \[0,100000000000000000000\]/],
    ["a shape of rank 33", twoTensors({ a: { dtype: "F32", shape: [...Array(32).fill(1), 2], data_offsets: [0, 8] } }), /f: tensor 'a' has shape \[1,1,1,.*\.\.\., expected at most 32/],
    ["a shape that is not an array", twoTensors({ a: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }), /f: tensor 'a' has shape "2"/],
    ["a shape whose size disagrees with the offsets", twoTensors({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }), /f: tensor 'a' \(F32 \[3\]\) has 8 bytes, expected 12 \(3 elements of 4 bytes\)/],
    ["a dtype from Object.prototype", twoTensors({ a: { dtype: "constructor", shape: [2], data_offsets: [0, 8] } }), /f: tensor 'a' has unsupported dtype constructor/],
    ["a missing dtype", twoTensors({ a: { shape: [2], data_offsets: [0, 8] } }), /f: tensor 'a' has unsupported dtype undefined/],
    ["an entry that is not an object", twoTensors({ a: 7 }), /f: tensor 'a' is 7, expected \{dtype, shape, data_offsets\}/],
    ["an unknown field in an entry", twoTensors({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8], extra: 1 } }), /f: tensor 'a' has unknown field 'extra'/],
    ["metadata that is not strings", twoTensors({ __metadata__: { epoch: 3 } }), /f: __metadata__ must map names to strings; 'epoch' is 3/],
    ["metadata that is not an object", twoTensors({ __metadata__: [1] }), /f: __metadata__ must map names to strings/],
  ];
  it.each(cases)("rejects %s, naming the source", (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes, "f")).toThrow(message);
  });

  it.each([["[1,2,3]", "an array"], ["null", "null"], ['"weights"', "a string"], ["42", "a number"], ["true", "a boolean"]])(
    "rejects the header %s: not a JSON object",
    (text, kind) => {
      expect(() => decodeSafetensors(rawHeader(text), "g.safetensors")).toThrow(
        new RegExp(`g.safetensors: not a safetensors file \\(the header is ${kind}, expected a JSON object of tensors\\)`),
      );
    },
  );

  it("rejects a header that is not UTF-8", () => {
    const bytes = rawHeader('{"a":1}');
    bytes[10] = 0xff;
    expect(() => decodeSafetensors(bytes, "u")).toThrow(/u: not a safetensors file \(the header is not UTF-8/);
  });

  it.each(["__proto__", "constructor", "prototype", "hasOwnProperty"])("keeps a tensor named %s as an ordinary tensor", (name) => {
    const bytes = rawHeader(`{"${name}":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(new Float32Array([2.5]).buffer));
    const { tensors, dtypes } = decodeSafetensors(bytes, "p");
    expect(Object.keys(tensors)).toEqual([name]);
    expect(Object.hasOwn(tensors, name)).toBe(true);
    expect(values(tensors[name])).toEqual([2.5]);
    expect(dtypes[name]).toBe("F32");
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
    tf.dispose(Object.values(tensors));
  });

  it("rejects a __proto__ field inside an entry like any unknown field", () => {
    const bytes = rawHeader('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"__proto__":{"x":1}}}', new Uint8Array(4));
    expect(() => decodeSafetensors(bytes, "q")).toThrow(/q: tensor 'a' has unknown field '__proto__'/);
  });

  it("says how many bytes a truncated file has and how many the header promises", () => {
    const full = encodeSafetensors({ w: tf.zeros([2, 128, 128]) });
    const half = full.subarray(0, 8 + (full.byteLength - 8) / 2);
    const headerLen = Number(new DataView(full.buffer).getBigUint64(0, true));
    expect(() => decodeSafetensors(half, "half.safetensors")).toThrow(
      `half.safetensors: truncated or corrupt: the file has ${half.byteLength} bytes, the header promises ${full.byteLength} (tensor 'w' ends at byte 131072 of a ${half.byteLength - 8 - headerLen}-byte data section)`,
    );
    expect(() => decodeSafetensors(full.subarray(0, 12), "tiny")).toThrow(/tiny: not a safetensors file, or truncated \(header length \d+ exceeds file size 12\)/);
  });

  it("bounds the header length before reading it", () => {
    const bytes = new Uint8Array(16);
    bytes[8] = 0x7b;
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    expect(() => decodeSafetensors(bytes, "h")).toThrow(/h: not a safetensors file \(header length 100000001 exceeds the limit of 100000000 bytes\)/);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(() => decodeSafetensors(bytes, "h")).toThrow(/header length 9223372036854775808 exceeds the limit/);
    new DataView(bytes.buffer).setBigUint64(0, 0n, true);
    expect(() => decodeSafetensors(bytes, "h")).toThrow(/h: not a safetensors file \(header length 0\)/);
  });

  it("recognises a PyTorch checkpoint, zip or pickle, and says how to convert it", () => {
    const advice = "not safetensors; convert it with /usr/bin/python3 tools/convert_pth.py IN.pth OUT.safetensors";
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x08, 0x00, 0x00, ...new Uint8Array(60)]);
    expect(() => decodeSafetensors(zip, "model.pth")).toThrow(`model.pth: this is a PyTorch checkpoint (zip), ${advice}`);
    for (const protocol of [2, 3, 4, 5]) {
      const pickle = new Uint8Array([0x80, protocol, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, ...new Uint8Array(40)]);
      expect(() => decodeSafetensors(pickle, "old.pt")).toThrow(`old.pt: this is a PyTorch checkpoint (pickle), ${advice}`);
    }
    // A valid safetensors file whose header length happens to start with the bytes 0x80 0x02 stays safetensors.
    const withPad = (pad: string) => handMade({ a: { dtype: "U8", shape: [1], data_offsets: [0, 1] }, __metadata__: { pad } }, new Uint8Array(1));
    const padded = withPad("x".repeat(640 + 9 - withPad("").byteLength));
    expect(Array.from(padded.subarray(0, 2))).toEqual([0x80, 0x02]);
    const { tensors } = decodeSafetensors(padded, "padded");
    expect(values(tensors.a)).toEqual([0]);
    tf.dispose(Object.values(tensors));
  });

  it("allocates nothing and leaks no tensors when a later tensor is bad", () => {
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigInt64(8, 2n ** 40n, true);
    const bytes = handMade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, n: { dtype: "I64", shape: [1], data_offsets: [8, 16] } }, big);
    const before = tf.memory().numTensors;
    expect(() => decodeSafetensors(bytes, "l")).toThrow(/l: tensor 'n' holds 1099511627776, beyond int32/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
