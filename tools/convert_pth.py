"""Converts a PyTorch state dict between `.pth` (torch.save) and safetensors, with Debian's PyTorch only.

    /usr/bin/python3 tools/convert_pth.py IN.pth OUT.safetensors [--key G]
    /usr/bin/python3 tools/convert_pth.py IN.safetensors OUT.pth --to-pth

The first form reads a `.pth` file holding a state dict (or an `nn.Module`, or a checkpoint dict whose entry
`--key` is the state dict) and writes safetensors that `loadWeights` of `@gan/layers` reads. The second form
goes back: the `.pth` it writes loads with `model.load_state_dict(torch.load(OUT))`. Names are kept as they are
(`layer1.0.weight_orig`, `layer1.1.num_batches_tracked`, ...). The `safetensors` pip package is not needed.

float32, int32, int64 and bool tensors are stored as they are; other float types become float32 and other
integer types int64 (a note is printed for each).

Without Python, `@gan/torch` reads and writes `.pth` files directly (`readTorchStateDict`, `writeTorchFile`), and
`gan import-torch` / `gan export-torch` move whole runs; this script remains for the fixture scripts
(tools/parity/make_model_fixtures.py imports it) and for converting to safetensors with PyTorch itself.
"""
import argparse
import collections
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "parity"))
from common import save_safetensors  # noqa: E402

NUMPY = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
         "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
STORED = {torch.float32, torch.int32, torch.int64, torch.bool}


def state_dict_of(obj, key, source):
    """The flat name -> tensor dict inside whatever `torch.load` returned."""
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            keys = sorted(obj.keys()) if isinstance(obj, dict) else type(obj).__name__
            raise SystemExit(f"{source}: has no entry '{key}' (found {keys})")
        obj = obj[key]
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise SystemExit(f"{source}: expected a state dict, found {type(obj).__name__}")
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise SystemExit(f"{source}: entries {bad} are not tensors; pick the state dict with --key "
                         f"(top-level keys: {sorted(obj.keys())})")
    return obj


def storable(name, t):
    """`t` in a dtype the safetensors writer stores, noting any conversion."""
    if t.dtype in STORED:
        return t
    target = torch.float32 if t.is_floating_point() else torch.int64
    print(f"note: '{name}' is {t.dtype}, stored as {target}", file=sys.stderr)
    return t.to(target)


def save_safetensors_exact(path, tensors, metadata=None):
    """common.save_safetensors, then 0-d tensors get their shape `[]` back in the header (the writer's
    `np.ascontiguousarray` makes them `[1]`; BatchNorm's `num_batches_tracked` is 0-d)."""
    save_safetensors(path, tensors, metadata)
    scalars = [k for k, v in tensors.items() if v.dim() == 0]
    if not scalars:
        return
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    for k in scalars:
        header[k]["shape"] = []
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data[8 + n:])


def load_safetensors(path):
    """Reads a safetensors file: (OrderedDict name -> torch.Tensor, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 9 or data[8:9] != b"{":
        raise SystemExit(f"{path}: not a safetensors file (a .pth? convert it without --to-pth)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise SystemExit(f"{path}: not a safetensors file (header length {n} exceeds the file size {len(data)})")
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = collections.OrderedDict()
    for name, entry in header.items():
        dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        raw = data[base + begin:base + end]
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            t = torch.from_numpy(bits.view(np.float32).copy()).to(torch.bfloat16)
        elif dtype in NUMPY:
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.dtype(NUMPY[dtype]).newbyteorder("<")).astype(NUMPY[dtype]))
        else:
            raise SystemExit(f"{path}: tensor '{name}' has unsupported dtype {dtype}")
        if t.numel() != int(np.prod(shape)):
            raise SystemExit(f"{path}: tensor '{name}' ({dtype} {shape}) has {t.numel()} values")
        tensors[name] = t.reshape(shape)
    return tensors, metadata


def looks_like_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{"


def pth_to_safetensors(src, dst, key=None):
    if looks_like_safetensors(src):
        raise SystemExit(f"{src}: is a safetensors file; to write a .pth from it, add --to-pth")
    try:
        obj = torch.load(src, map_location="cpu")
    except Exception as e:  # noqa: BLE001 (any unreadable file gets the same message)
        raise SystemExit(f"{src}: cannot be read by torch.load ({type(e).__name__}: {e})")
    state = state_dict_of(obj, key, src)
    tensors = collections.OrderedDict((k, storable(k, v)) for k, v in state.items())
    save_safetensors_exact(dst, tensors, metadata={"format": "pt"})
    return tensors


def safetensors_to_pth(src, dst):
    tensors, _ = load_safetensors(src)
    torch.save(tensors, dst)
    return tensors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="the .pth file (or the .safetensors file with --to-pth)")
    ap.add_argument("dst", help="the .safetensors file to write (or the .pth file with --to-pth)")
    ap.add_argument("--to-pth", action="store_true", help="convert safetensors to .pth instead")
    ap.add_argument("--key", help="take the state dict from this entry of the loaded .pth object (e.g. G)")
    args = ap.parse_args()
    if args.to_pth:
        n = len(safetensors_to_pth(args.src, args.dst))
    else:
        n = len(pth_to_safetensors(args.src, args.dst, args.key))
    print(f"wrote {n} tensors to {args.dst}")


if __name__ == "__main__":
    main()
