import { describe, expect, it } from "vitest";
import { TorchDict, TorchTensor, type TorchValue, readTorchFile, writeTorchFile } from "./index";
import { fixtureBytes } from "./test-support";

const t = (values: number[], shape = [values.length]) => new TorchTensor("float32", shape, new Float32Array(values));

/** The zip's local file headers: each entry's name and where its data starts. */
function localEntries(zip: Uint8Array): Array<{ name: string; dataOffset: number; size: number; method: number }> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = [];
  let at = 0;
  while (view.getUint32(at, true) === 0x04034b50) {
    const method = view.getUint16(at + 8, true);
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 30, at + 30 + nameLength));
    const dataOffset = at + 30 + nameLength + extraLength;
    out.push({ name, dataOffset, size, method });
    at = dataOffset + size;
  }
  return out;
}

describe("writeTorchFile", () => {
  it("round trip: every dtype, 0-d and empty tensors, nested dicts, lists, numbers, strings, None", () => {
    const value = {
      generator: { "a.weight": t([1, 2, 3, 4, 5, 6], [2, 3]), "a.num_batches_tracked": new TorchTensor("int64", [], new BigInt64Array([34n])) },
      dtypes: {
        f64: new TorchTensor("float64", [2], new Float64Array([0.1, -2])),
        f16: new TorchTensor("float16", [1], new Uint16Array([0x3c00])),
        bf16: new TorchTensor("bfloat16", [1], new Uint16Array([0x3fc0])),
        i32: new TorchTensor("int32", [2], new Int32Array([-5, 2 ** 31 - 1])),
        i16: new TorchTensor("int16", [1], new Int16Array([-300])),
        i8: new TorchTensor("int8", [1], new Int8Array([-7])),
        u8: new TorchTensor("uint8", [1], new Uint8Array([250])),
        bool: new TorchTensor("bool", [2], new Uint8Array([1, 0])),
        empty: new TorchTensor("float32", [0, 4], new Float32Array(0)),
      },
      plain: { step: 1200, negative: -3, big: 2n ** 80n, huge: 2 ** 40, lr: 1e-4, name: "sagan ✓", none: null, yes: true, list: [1, [2, "x"]] },
    };
    const back = readTorchFile(writeTorchFile(value)) as TorchDict;
    expect(back.type).toBe("dict");
    const g = back.get("generator") as TorchDict;
    expect(g.type).toBe("OrderedDict");
    expect(g.get("a.weight")).toEqual(value.generator["a.weight"]);
    expect(g.get("a.num_batches_tracked")).toEqual(value.generator["a.num_batches_tracked"]);
    const dtypes = back.get("dtypes") as TorchDict;
    for (const [name, tensor] of Object.entries(value.dtypes)) expect(dtypes.get(name), name).toEqual(tensor);
    expect((dtypes.get("bf16") as TorchTensor).toFloat32()).toEqual(new Float32Array([1.5]));
    const plain = back.get("plain") as TorchDict;
    expect(Object.fromEntries(plain)).toEqual(value.plain);
    const tuples = readTorchFile(writeTorchFile({ t: Object.freeze([1, Object.freeze(["a"])]), e: Object.freeze([]), l: [] })) as TorchDict;
    expect(Object.isFrozen(tuples.get("t"))).toBe(true);
    expect(Object.isFrozen((tuples.get("t") as TorchValue[])[1])).toBe(true);
    expect(tuples.get("e")).toEqual([]);
    expect(Object.isFrozen(tuples.get("e"))).toBe(true);
    expect(Object.isFrozen(tuples.get("l"))).toBe(false);
  });

  it("keeps a TorchDict's type, integer keys and attributes (a state dict's _metadata)", () => {
    const original = readTorchFile(fixtureBytes("sagan-generator.pth")) as TorchDict;
    const again = readTorchFile(writeTorchFile(original)) as TorchDict;
    expect(again.type).toBe("OrderedDict");
    expect([...again.keys()]).toEqual([...original.keys()]);
    expect(again.attributes).toEqual(original.attributes);
    for (const [k, v] of original) expect(again.get(k), String(k)).toEqual(v);
    const keyed = new TorchDict("dict", [[0, "zero"], [1, null]]);
    expect([...(readTorchFile(writeTorchFile(keyed)) as TorchDict).entries()]).toEqual([[0, "zero"], [1, null]]);
  });

  it("a tensor referenced twice is written once", () => {
    const shared = t([1, 2]);
    const bytes = writeTorchFile({ a: shared, b: shared });
    expect(localEntries(bytes).filter((e) => e.name.startsWith("archive/data/"))).toHaveLength(1);
    const back = readTorchFile(bytes) as TorchDict;
    expect(back.get("a")).toEqual(shared);
    expect(back.get("b")).toEqual(shared);
  });

  it("shared lists and dicts are written once (no blow-up of a structure that reuses them)", () => {
    let level: TorchValue = [1];
    for (let i = 0; i < 40; i++) level = [level, level];
    const bytes = writeTorchFile({ deep: level });
    expect(bytes.byteLength).toBeLessThan(4000);
    let back = (readTorchFile(bytes) as TorchDict).get("deep") as TorchValue[];
    for (let i = 0; i < 40; i++) {
      expect(back[0]).toBe(back[1]);
      back = back[0] as TorchValue[];
    }
    expect(back).toEqual([1]);
  });

  it("lays the archive out as torch.save does: data.pkl first, stored entries, storages aligned to 64 bytes, version 3", () => {
    const bytes = writeTorchFile({ x: t([1]), y: t([1, 2, 3]), z: new TorchTensor("int64", [5], new BigInt64Array(5)) }, { archiveName: "model" });
    const entries = localEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual(["model/data.pkl", "model/byteorder", "model/data/0", "model/data/1", "model/data/2", "model/version"]);
    expect(entries.every((e) => e.method === 0)).toBe(true);
    for (const e of entries.filter((e) => e.name.includes("/data/"))) expect(e.dataOffset % 64, e.name).toBe(0);
    const version = entries.find((e) => e.name === "model/version")!;
    expect(new TextDecoder().decode(bytes.subarray(version.dataOffset, version.dataOffset + version.size))).toBe("3\n");
  });

  it("is deterministic", () => {
    const make = () => writeTorchFile({ generator: { w: t([1, 2, 3]) }, step: 3 });
    expect(make()).toEqual(make());
  });

  it("refuses what a torch file cannot hold, naming where it is", () => {
    const loop: Record<string, TorchValue | object> = {};
    loop.self = loop;
    const cases: Array<[unknown, string]> = [
      [{ a: undefined }, 'writeTorchFile: the value["a"] is undefined (use null for None)'],
      [{ a: new Float32Array(2) }, 'writeTorchFile: the value["a"] is a Float32Array; wrap it in a TorchTensor'],
      [loop, 'writeTorchFile: the value["self"] contains itself'],
      [{ f: () => 1 }, 'writeTorchFile: the value["f"] is a function, which a torch file cannot hold'],
      [{ n: 2 ** 60 }, `writeTorchFile: the value["n"] is ${2 ** 60}, an integer beyond 2^53 as a number; pass it as a bigint`],
      [new Map([[{}, 1]]), "writeTorchFile: the value has a key of type object (str, int, bool and None keys are written)"],
    ];
    for (const [value, message] of cases) expect(() => writeTorchFile(value as TorchValue)).toThrow(message);
    expect(() => writeTorchFile({}, { archiveName: "../x" })).toThrow(/archiveName '\.\.\/x' must be/);
  });

  it("TorchTensor checks its data", () => {
    expect(() => new TorchTensor("float32", [2, 2], new Float32Array(3))).toThrow("TorchTensor: shape [2,2] has 4 elements, the data 3");
    expect(() => new TorchTensor("int64", [1], new Int32Array(1) as never)).toThrow("TorchTensor: a int64 tensor takes a BigInt64Array, got Int32Array");
    expect(() => new TorchTensor("complex64" as never, [1], new Float32Array(1) as never)).toThrow(/unknown dtype "complex64"/);
  });
});
