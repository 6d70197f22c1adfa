import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../test/parity";
import { BatchNorm2d, decodeSafetensors, encodeSafetensors } from "./index";

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
