"""Writes the fixtures of @gan/torch (packages/torch/fixtures/) with Debian's PyTorch:

    /usr/bin/python3 tools/parity/make_torch_interop_fixtures.py

For each of the article's models (tools/reference/reference.py: `build` = construction + `weights_init`), at width
WIDTH (the reference's `image_size` multiplier; the article's 64 would make 12 MB per net, so the committed files use
8: the same layers, names and 64x64 images, z_dim 20), with fixed seeds:

- two iterations of the article's training step (`reference.train_step`) on random images, then the output layers
  (G's `last.0`, D's `last`, and DCGAN D's hidden convolutions) scaled by GAIN (the article's initialisation gives images of about +-0.005 and logits of
  about 1e-4, too small for a 1e-6 comparison to mean anything) and 30 train-mode forwards without gradients, so
  that the BatchNorm running statistics, `num_batches_tracked` (34) and the spectral-norm vectors `weight_u` /
  `weight_v` are far from their initial values (SAGAN's attention `gamma`s and 1x1 convolutions are livened first,
  as in make_model_fixtures.py, so that the attention path matters);
- `<model>-generator.pth`: `torch.save(G.state_dict())`;
- `<model>.pth`: `torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()})`;
- `<model>-outputs.safetensors`: in eval mode, `z` [4, 20], G's `images` (NHWC) for it, images `x` (NHWC) and D's
  `logits` for them.

Then files for the reader's own tests:

- `values.pth`: a dict of views (a transposed and a sliced tensor, a row, shared storages, a 0-d int64), every dtype
  the reader handles, an nn.Parameter, and plain values (int, big int, float, str, None, bool, list, tuple, nested
  dict); `values-protocol4.pth`: the same saved with pickle protocol 4; `values.json`: the expected values.
- refused files: `malicious-os-system.pth` (a hand-made data.pkl: `GLOBAL os system` + `REDUCE`, what an attack
  looks like), `malicious-reduce.pth` (torch.save of an object whose `__reduce__` returns `os.system`: Python pickles
  it as `posix.system`), `whole-module.pth` (`torch.save(model)`, which pickles the model's class),
  `legacy.pth` (`_use_new_zipfile_serialization=False`), `truncated.pth` (the first 60% of `values.pth`),
  `big-endian.pth` (`values.pth` with a `byteorder` record saying big).

The tests only read these files; the script is deterministic (fixed seeds; torch.save's zip has fixed timestamps),
except for legacy.pth, whose format names storages by their memory address.
"""
import collections
import io
import json
import os
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from common import liven_attention, nchw_to_nhwc, save_safetensors  # noqa: E402
from reference import build, first, optimizers, train_step  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "packages", "torch", "fixtures")
WIDTH = 8
Z_DIM = 20
SAMPLES = 4
# Output-layer gains; DCGAN's discriminator (no normalisation) also has its four hidden convolutions scaled.
GAIN = {"G": 10.0, "D": 10.0, "D_hidden": {"sagan": 1.0, "dcgan": 3.0}}


def model_fixtures(name, seed):
    torch.manual_seed(seed)
    G, D = build(name, Z_DIM, WIDTH)
    if name == "sagan":
        for net, gammas, scale in ((G, (0.8, -0.6), 0.2), (D, (0.7, 0.5), 0.5)):
            for attn, gamma in zip([net.self_attntion1, net.self_attntion2], gammas):
                liven_attention(attn, gamma, scale)
    g_opt, d_opt = optimizers(name, G, D)
    for _ in range(2):
        images = torch.rand(8, 1, 64, 64) * 2 - 1
        train_step(name, G, D, g_opt, d_opt, images, Z_DIM)
    # weights_init's N(0, 0.02) makes images of about ±0.005 and logits of about 1e-4, too small to tell a wrong
    # weight from rounding: larger output layers, then running statistics measured over 30 batches (the spectral-norm
    # vectors take one power iteration per train-mode forward).
    with torch.no_grad():
        G.last[0].weight.mul_(GAIN["G"])
        D.last.weight.mul_(GAIN["D"])
        for layer in (D.layer1, D.layer2, D.layer3, D.layer4):
            layer[0].weight.mul_(GAIN["D_hidden"][name])
        for _ in range(30):
            G(torch.randn(8, Z_DIM, 1, 1))
            D(torch.rand(8, 1, 64, 64) * 2 - 1)
    G.eval()
    D.eval()
    torch.save(G.state_dict(), os.path.join(OUT, f"{name}-generator.pth"))
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, os.path.join(OUT, f"{name}.pth"))
    with torch.no_grad():
        z = torch.randn(SAMPLES, Z_DIM)
        images = first(G(z.view(SAMPLES, Z_DIM, 1, 1)))
        x = torch.rand(SAMPLES, 1, 64, 64) * 2 - 1
        logits = first(D(x)).view(-1)
    save_safetensors(os.path.join(OUT, f"{name}-outputs.safetensors"),
                     {"z": z, "images": nchw_to_nhwc(images), "x": nchw_to_nhwc(x), "logits": logits},
                     metadata={"model": name, "width": WIDTH, "z_dim": Z_DIM, "seed": seed, "torch": torch.__version__})
    print(f"{name}: images in [{images.min():.3f}, {images.max():.3f}] (std {images.std():.3f}), logits {logits.tolist()}")
    counts = {k: int(v) for k, v in G.state_dict().items() if k.endswith("num_batches_tracked")}
    print(f"{name}: G {sum(p.numel() for p in G.parameters())} parameters, D {sum(p.numel() for p in D.parameters())}; "
          f"num_batches_tracked {sorted(set(counts.values()))}")


def values_object():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    ints = torch.arange(-3, 3)
    return collections.OrderedDict([
        ("matrix", t),
        ("row", t[1]),  # storage offset 4, shares t's storage
        ("transposed", t.t()),  # strides (1, 4)
        ("columns", t[:, 1:3]),  # offset 1, strides (4, 1)
        ("every_other", t.view(-1)[::2]),  # stride 2
        ("scalar", torch.tensor(7)),  # 0-d int64
        ("empty", torch.zeros(0, 3)),
        ("float64", torch.tensor([0.1, -2.5], dtype=torch.float64)),
        ("float16", torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16)),
        ("bfloat16", torch.tensor([1.5, -3.0], dtype=torch.bfloat16)),
        ("int64", ints * 1000000000000),
        ("int32", ints.int()),
        ("int16", ints.short()),
        ("int8", ints.char()),
        ("uint8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("parameter", torch.nn.Parameter(torch.tensor([[1.0, 2.0]]))),
        ("plain", {"int": 3, "negative": -70000, "big": 2 ** 70, "float": 0.25, "str": "häßlich ✓", "none": None,
                   "true": True, "false": False, "list": [1, "two", 3.5], "tuple": (1, (2, 3)), 5: "int key"}),
    ])


VALUES_JSON = {
    "matrix": {"dtype": "float32", "shape": [3, 4], "data": list(range(12))},
    "row": {"dtype": "float32", "shape": [4], "data": [4, 5, 6, 7]},
    "transposed": {"dtype": "float32", "shape": [4, 3], "data": [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]},
    "columns": {"dtype": "float32", "shape": [3, 2], "data": [1, 2, 5, 6, 9, 10]},
    "every_other": {"dtype": "float32", "shape": [6], "data": [0, 2, 4, 6, 8, 10]},
    "scalar": {"dtype": "int64", "shape": [], "data": ["7"]},
    "empty": {"dtype": "float32", "shape": [0, 3], "data": []},
    "float64": {"dtype": "float64", "shape": [2], "data": [0.1, -2.5]},
    "float16": {"dtype": "float16", "shape": [3], "data": [0.5, -1.25, 65504.0]},
    "bfloat16": {"dtype": "bfloat16", "shape": [2], "data": [1.5, -3.0]},
    "int64": {"dtype": "int64", "shape": [6], "data": [str(i * 1000000000000) for i in range(-3, 3)]},
    "int32": {"dtype": "int32", "shape": [6], "data": list(range(-3, 3))},
    "int16": {"dtype": "int16", "shape": [6], "data": list(range(-3, 3))},
    "int8": {"dtype": "int8", "shape": [6], "data": list(range(-3, 3))},
    "uint8": {"dtype": "uint8", "shape": [3], "data": [0, 200, 255]},
    "bool": {"dtype": "bool", "shape": [3], "data": [1, 0, 1]},
    "parameter": {"dtype": "float32", "shape": [1, 2], "data": [1, 2], "requiresGrad": True},
}


def zip_with(path, entries):
    """A zip laid out as torch.save's (stored entries in one folder), from name -> bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            z.writestr(info, data)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this file ran code",))


def refused_fixtures():
    # GLOBAL 'os system', a string, TUPLE1, REDUCE: os.system("echo ...") when Python unpickles it.
    pickle = b"\x80\x02cos\nsystem\nq\x00X\x17\x00\x00\x00echo this file ran codeq\x01\x85q\x02Rq\x03."
    zip_with(os.path.join(OUT, "malicious-os-system.pth"), {"archive/data.pkl": pickle, "archive/version": b"3\n"})
    torch.save({"x": Evil()}, os.path.join(OUT, "malicious-reduce.pth"))
    torch.manual_seed(0)
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU()), os.path.join(OUT, "whole-module.pth"))
    torch.save({"w": torch.ones(2, 2)}, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, "values.pth"), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "truncated.pth"), "wb") as f:
        f.write(data[:int(len(data) * 0.6)])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    entries["values/byteorder"] = b"big"
    zip_with(os.path.join(OUT, "big-endian.pth"), entries)


def main():
    os.makedirs(OUT, exist_ok=True)
    model_fixtures("sagan", 0)
    model_fixtures("dcgan", 1)
    torch.save(values_object(), os.path.join(OUT, "values.pth"))
    torch.save(values_object(), os.path.join(OUT, "values-protocol4.pth"), pickle_protocol=4)
    with open(os.path.join(OUT, "values.json"), "w") as f:
        json.dump(VALUES_JSON, f, indent=1)
        f.write("\n")
    # The expected values are what PyTorch reads back.
    back = torch.load(os.path.join(OUT, "values.pth"))
    for k, spec in VALUES_JSON.items():
        t = back[k]
        assert str(t.dtype) == f"torch.{spec['dtype']}" and list(t.shape) == spec["shape"], k
        flat = [str(int(v)) if t.dtype == torch.int64 else float(v) for v in t.reshape(-1).tolist()]
        want = spec["data"] if t.dtype == torch.int64 else [float(v) for v in spec["data"]]
        assert flat == want or torch.allclose(t.double().reshape(-1), torch.tensor([float(v) for v in want], dtype=torch.float64), rtol=1e-3), k
    refused_fixtures()
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}")


if __name__ == "__main__":
    main()
