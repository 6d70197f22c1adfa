import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unzipSync, zipSync } from "fflate";
import { TorchDict, TorchTensor, readTorchFile, readTorchStateDict } from "./index";
import { OP, f32, fixture, fixtureBytes, global, pickle, tensorPickle, torchZip } from "./test-support";

interface Expected {
  dtype: string;
  shape: number[];
  data: Array<number | string>;
  requiresGrad?: boolean;
}
const expected = JSON.parse(readFileSync(fixture("values.json"), "utf8")) as Record<string, Expected>;

/** A tensor's values as numbers (int64 as decimal strings), for comparison with values.json. */
function values(t: TorchTensor): Array<number | string> {
  if (t.dtype === "int64") return [...(t.data as BigInt64Array)].map(String);
  if (t.dtype === "float16" || t.dtype === "bfloat16") return [...t.toFloat32()];
  return [...(t.data as Float32Array)];
}

describe("readTorchFile on files torch.save wrote (tools/parity/make_torch_interop_fixtures.py)", () => {
  for (const file of ["values.pth", "values-protocol4.pth"]) {
    it(`${file}: views gathered, every dtype, a parameter, plain values`, () => {
      const value = readTorchFile(fixtureBytes(file), { source: file });
      expect(value).toBeInstanceOf(TorchDict);
      const dict = value as TorchDict;
      expect(dict.type).toBe("OrderedDict");
      for (const [name, want] of Object.entries(expected)) {
        const t = dict.get(name) as TorchTensor;
        expect(t, name).toBeInstanceOf(TorchTensor);
        expect({ dtype: t.dtype, shape: [...t.shape] }, name).toEqual({ dtype: want.dtype, shape: want.shape });
        expect(values(t), name).toEqual(want.data);
        expect(t.requiresGrad, name).toBe(want.requiresGrad ?? false);
      }
      expect([...dict.keys()]).toEqual([...Object.keys(expected), "plain"]);
      const plain = dict.get("plain") as TorchDict;
      expect(plain.type).toBe("dict");
      expect([...plain.entries()]).toEqual([
        ["int", 3],
        ["negative", -70000],
        ["big", 2n ** 70n],
        ["float", 0.25],
        ["str", "häßlich ✓"],
        ["none", null],
        ["true", true],
        ["false", false],
        ["list", [1, "two", 3.5]],
        ["tuple", [1, [2, 3]]],
        [5, "int key"],
      ]);
      expect(Object.isFrozen(plain.get("tuple"))).toBe(true);
      expect(Object.isFrozen(plain.get("list"))).toBe(false);
    });
  }

  it("tensors on one storage get arrays of their own", () => {
    const dict = readTorchFile(fixtureBytes("values.pth")) as TorchDict;
    const matrix = dict.get("matrix") as TorchTensor;
    const row = dict.get("row") as TorchTensor;
    expect(row.data.buffer).not.toBe(matrix.data.buffer);
    (row.data as Float32Array)[0] = -1;
    expect((matrix.data as Float32Array)[4]).toBe(4);
  });

  it("a model's state dict: names in PyTorch's order, int64 counters, the _metadata attribute", () => {
    const state = readTorchStateDict(fixtureBytes("sagan-generator.pth"), { source: "sagan-generator.pth" });
    const names = Object.keys(state);
    expect(names.slice(0, 8)).toEqual([
      "layer1.0.bias",
      "layer1.0.weight_orig",
      "layer1.0.weight_u",
      "layer1.0.weight_v",
      "layer1.1.weight",
      "layer1.1.bias",
      "layer1.1.running_mean",
      "layer1.1.running_var",
    ]);
    expect(state["layer1.0.weight_orig"].shape).toEqual([20, 64, 4, 4]);
    expect(state["layer1.1.num_batches_tracked"]).toMatchObject({ dtype: "int64", shape: [] });
    expect(state["layer1.1.num_batches_tracked"].data).toEqual(new BigInt64Array([34n]));
    expect(Object.getPrototypeOf(state)).toBeNull();

    const file = readTorchFile(fixtureBytes("sagan-generator.pth")) as TorchDict;
    const metadata = file.attributes.get("_metadata") as TorchDict;
    expect(metadata).toBeInstanceOf(TorchDict);
    expect((metadata.get("layer1.1") as TorchDict).get("version")).toBe(2);
  });

  it("a dict of state dicts: readTorchStateDict with key, and errors naming the keys", () => {
    const bytes = fixtureBytes("dcgan.pth");
    const d = readTorchStateDict(bytes, { key: "discriminator", source: "dcgan.pth" });
    expect(Object.keys(d)).toContain("last.weight");
    expect(() => readTorchStateDict(bytes, { source: "dcgan.pth" })).toThrow(
      "dcgan.pth: 'generator' is an OrderedDict of 30 entries, expected a tensor as in a state dict; pick the state dict inside it by its key (the keys: 'generator', 'discriminator')",
    );
    expect(() => readTorchStateDict(bytes, { key: "G", source: "dcgan.pth" })).toThrow("dcgan.pth: has no entry 'G' (its keys: 'generator', 'discriminator')");
  });
});

describe("readTorchFile refuses what is not a plain state dict, naming the file and what it found", () => {
  const refused: Array<[string, RegExp]> = [
    ["malicious-os-system.pth", /^malicious-os-system\.pth: archive\/data\.pkl: byte 2: the pickle refers to the global 'os\.system', which a state dict never needs and which is not loaded/],
    ["malicious-reduce.pth", /^malicious-reduce\.pth: malicious-reduce\/data\.pkl: byte 13: the pickle refers to the global 'posix\.system'/],
    ["whole-module.pth", /^whole-module\.pth: whole-module\/data\.pkl: byte 2: the pickle refers to the global 'torch\.nn\.modules\.container\.Sequential'.*save model\.state_dict\(\) instead/],
    ["legacy.pth", /^legacy\.pth: this is the legacy torch\.save format \(PyTorch before 1\.6, or _use_new_zipfile_serialization=False\)/],
    ["truncated.pth", /^truncated\.pth: not a readable zip archive: truncated or corrupt/],
    ["big-endian.pth", /^big-endian\.pth: values\/byteorder says 'big': only little-endian files are read/],
    ["sagan-outputs.safetensors", /^sagan-outputs\.safetensors: this looks like a safetensors file, not a torch\.save file; read it with decodeSafetensors or loadWeights of @gan\/layers/],
  ];
  for (const [file, message] of refused) {
    it(file, () => {
      expect(() => readTorchFile(fixtureBytes(file), { source: file })).toThrow(message);
    });
  }

  it("bytes that are no file of PyTorch's", () => {
    expect(() => readTorchFile(new Uint8Array([1, 2, 3, 4, 5]), { source: "x.pth" })).toThrow(
      "x.pth: not a torch.save file: it starts with bytes 01 02 03 04, a torch.save zip archive with 'PK'",
    );
    expect(() => readTorchFile(new Uint8Array(0), { source: "x.pth" })).toThrow("x.pth: the file is empty");
  });

  const { PROTO2, STOP, MARK, EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, TUPLE1, TUPLE2, SETITEM, APPEND, REDUCE, BUILD, BINPUT, BINGET, BININT1 } = OP;
  const stateDict = (...tensor: number[]) => pickle(PROTO2, EMPTY_DICT, ...pickle("w"), tensor, SETITEM, STOP);
  const read = (bytes: Uint8Array) => () => readTorchFile(bytes, { source: "f.pth" });

  const crafted: Array<[string, Uint8Array, string | RegExp]> = [
    [
      "a storage too small for its view",
      torchZip(stateDict(...tensorPickle("FloatStorage", "0", 4, 1, [2, 2], [2, 1])), { "0": f32(1, 2, 3, 4) }),
      /^f\.pth: archive\/data\.pkl: byte \d+: a tensor of size \(2,2\) with stride \(2,1\) at offset 1 reaches element 4 of storage '0', which has 4 \(out of bounds\)$/,
    ],
    [
      "a storage the archive lacks",
      torchZip(stateDict(...tensorPickle("FloatStorage", "7", 4, 0, [4], [1])), {}),
      /f\.pth: archive\/data\.pkl: byte \d+: the pickle refers to storage '7', but the archive has no archive\/data\/7$/,
    ],
    [
      "a storage of the wrong size",
      torchZip(stateDict(...tensorPickle("FloatStorage", "0", 4, 0, [4], [1])), { "0": f32(1, 2, 3) }),
      /archive\/data\/0 has 12 bytes, the pickle says 4 float32 elements \(16 bytes\)$/,
    ],
    [
      "a storage type outside the list",
      torchZip(stateDict(...tensorPickle("ComplexFloatStorage", "0", 1, 0, [1], [1])), { "0": f32(1, 2) }),
      /the pickle refers to the global 'torch\.ComplexFloatStorage'/,
    ],
    ["an unknown opcode", torchZip(pickle(PROTO2, 0xff, STOP)), "f.pth: archive/data.pkl: byte 2: unknown opcode 0xff: not a pickle, or a corrupt one"],
    [
      "an opcode a state dict never needs (NEWOBJ)",
      torchZip(pickle(PROTO2, global("collections", "OrderedDict"), EMPTY_TUPLE, 0x81, STOP)),
      "f.pth: archive/data.pkl: byte 28: opcode NEWOBJ (0x81) is not read: a state dict saved by torch.save never needs it",
    ],
    ["a pickle without STOP", torchZip(pickle(PROTO2, EMPTY_DICT)), "f.pth: archive/data.pkl: byte 3: the pickle ends after 3 bytes without STOP (truncated file?)"],
    ["a string cut short", torchZip(pickle(PROTO2, 0x58, [9, 0, 0, 0], 0x41)), /byte 2: the pickle ends after 8 bytes, in the middle of BINUNICODE \(truncated file\?\)$/],
    ["a list that contains itself", torchZip(pickle(PROTO2, EMPTY_LIST, BINPUT, 0, BINGET, 0, APPEND, STOP)), /a recursive structure \(a list or dict that contains itself\)/],
    [
      "BUILD on a list",
      torchZip(pickle(PROTO2, EMPTY_LIST, EMPTY_DICT, BUILD, STOP)),
      "f.pth: archive/data.pkl: byte 4: BUILD on a list (only a dict's attributes, such as a state dict's _metadata, are read)",
    ],
    [
      "REDUCE of a storage type",
      torchZip(pickle(PROTO2, global("torch", "FloatStorage"), EMPTY_TUPLE, REDUCE, STOP)),
      /REDUCE of torch\.FloatStorage, which is a type, not a function$/,
    ],
    [
      "a storage type as a value",
      torchZip(pickle(PROTO2, EMPTY_DICT, ...pickle("t"), global("torch", "FloatStorage"), SETITEM, STOP)),
      /the global torch\.FloatStorage used as a value$/,
    ],
    ["a tuple as a dict key", torchZip(pickle(PROTO2, EMPTY_DICT, BININT1, 1, TUPLE1, BININT1, 2, SETITEM, STOP)), /a dict key that is a tuple \(str, int, bool and None keys are read\)$/],
    [
      "a persistent id that is not a storage",
      torchZip(pickle(PROTO2, ...pickle("module", "x"), TUPLE2, 0x51, STOP)),
      /a persistent id that is not a storage: expected \('storage', torch\.<Type>Storage, key, location, numel\)$/,
    ],
    ["pickle protocol 1", torchZip(pickle(0x80, 1, EMPTY_DICT, STOP)), /byte 0: pickle protocol 1; torch\.save writes protocol 2/],
    ["no version record", torchZip(pickle(PROTO2, EMPTY_DICT, STOP), {}, { version: null }), "f.pth: no archive/version record: not a torch.save archive, or a damaged one"],
    [
      "a view that expands a storage beyond the limit",
      torchZip(stateDict(...tensorPickle("FloatStorage", "0", 1, 0, [250, 250, 250, 2], [0, 0, 0, 0])), { "0": f32(1) }),
      /the tensors would take more than \d+ bytes \(maxTensorBytes\); tensor of shape \[250,250,250,2\] on storage '0'$/,
    ],
    [
      "_rebuild_tensor_v2 with backward hooks",
      torchZip(
        stateDict(
          ...tensorPickle("FloatStorage", "0", 1, 0, [1], [1]).slice(0, -2),
          ...pickle("hook"),
          BININT1,
          1,
          SETITEM,
          OP.TUPLE,
          REDUCE,
        ),
        { "0": f32(1) },
      ),
      /_rebuild_tensor_v2 with backward hooks \(only an empty OrderedDict is read\)$/,
    ],
    ["MARK never closed", torchZip(pickle(PROTO2, MARK, EMPTY_DICT, STOP)), /STOP inside an unclosed MARK$/],
    ["two objects left at STOP", torchZip(pickle(PROTO2, EMPTY_DICT, EMPTY_DICT, STOP)), /STOP with 2 items on the stack, expected 1$/],
    ["a memo entry never stored", torchZip(pickle(PROTO2, BINGET, 3, STOP)), /BINGET of memo entry 3, which was never stored$/],
  ];
  for (const [what, bytes, message] of crafted) {
    it(what, () => {
      expect(read(bytes)).toThrow(message);
    });
  }

  it("a TorchScript archive is named as one", () => {
    const zip = torchZip(new Uint8Array(0), {}, { prefix: "m", extra: { "m/constants.pkl": new Uint8Array(1) } });
    // Without data.pkl: rebuild the archive with the TorchScript entries only.
    const bytes = torchZipWithout(zip);
    expect(() => readTorchFile(bytes, { source: "m.pt" })).toThrow(
      "m.pt: this is a TorchScript archive (torch.jit.save), not a torch.save file; save the state dict with torch.save(model.state_dict(), path)",
    );
  });

  it("a dict key named __proto__ is an ordinary key", () => {
    const bytes = torchZip(pickle(PROTO2, EMPTY_DICT, ...pickle("__proto__"), ...tensorPickle("FloatStorage", "0", 1, 0, [], []), SETITEM, STOP), { "0": f32(5) });
    const state = readTorchStateDict(bytes);
    expect(Object.keys(state)).toEqual(["__proto__"]);
    expect(Object.getOwnPropertyDescriptor(state, "__proto__")?.value).toBeInstanceOf(TorchTensor);
    expect(({} as Record<string, unknown>).data).toBeUndefined();
  });

  it("maxTensorBytes can admit a large expanded view", () => {
    const bytes = torchZip(stateDict(...tensorPickle("FloatStorage", "0", 1, 0, [100, 100], [0, 0])), { "0": f32(3) });
    expect(read(bytes)).not.toThrow();
    expect(() => readTorchFile(bytes, { maxTensorBytes: 1000 })).toThrow(/maxTensorBytes/);
    const t = (readTorchFile(bytes) as TorchDict).get("w") as TorchTensor;
    expect(t.shape).toEqual([100, 100]);
    expect(new Set(t.data as Float32Array)).toEqual(new Set([3]));
  });
});

/** `zip` rebuilt without its `data.pkl` entries. */
function torchZipWithout(zip: Uint8Array): Uint8Array {
  const files = unzipSync(zip);
  for (const name of Object.keys(files)) if (name.endsWith("data.pkl")) delete files[name];
  return zipSync(files, { level: 0 });
}
