"""Checks a .pth file written by @gan/torch (`writeTorchFile`, `gan export-torch`) with PyTorch itself:

    /usr/bin/python3 tools/parity/check_torch_export.py FILE.pth [--outputs OURS.safetensors] [--model sagan|dcgan]
        [--tolerance 1e-6] [--write-images IMAGES.safetensors] [--resave AGAIN.pth]

1. `torch.load(FILE, weights_only=True)` (PyTorch's own restricted unpickler) must read it: a dict
   `{"generator": G_sd, "discriminator": D_sd}` (the discriminator optional) or a generator state dict alone.
2. The article's classes of tools/reference/reference.py (model from --model, else SAGAN when there are attention
   weights; z_dim and width from the shape of `layer1.0.weight[_orig]`) load each state dict with
   `load_state_dict(..., strict=True)`, and every tensor must have the dtype and shape of the model's own.
3. With --outputs (what our model computed, NHWC): `z` -> G's `images` (eval mode) and `x` -> D's `logits` must
   agree within --tolerance (max abs, times the largest |value| when that exceeds 1: float32 rounding grows with
   the magnitude); entries that are absent (or D's, for a file without a discriminator) are not
   compared.
4. --write-images: G's images for the `z` of --outputs, NHWC, as safetensors (for pixel comparisons).
   --resave: `torch.save` of the loaded nets' state dicts, in the same layout (a file written by PyTorch itself,
   for the reader's tests).

Prints one JSON line (model, sizes, the differences); exits 1 when a difference exceeds the tolerance, 2 when the
file does not load.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from common import nchw_to_nhwc, save_safetensors  # noqa: E402
from reference import MODELS, first  # noqa: E402

NUMPY = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.dtype(NUMPY[e["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(a.astype(NUMPY[e["dtype"]])).reshape(e["shape"])
    return out


def die(code, message):
    print(f"check_torch_export: {message}", file=sys.stderr)
    sys.exit(code)


def first_weight(sd, where):
    for key in ("layer1.0.weight_orig", "layer1.0.weight"):
        if key in sd:
            return sd[key]
    die(2, f"{where}: no layer1.0.weight(_orig); keys: {list(sd)[:8]}")


def load_strict(net, sd, where):
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        die(2, f"{where}: load_state_dict(strict=True) failed: {e}")
    own = net.state_dict()
    for k, v in sd.items():
        if own[k].dtype != v.dtype or own[k].shape != v.shape:
            die(2, f"{where}: '{k}' is {v.dtype} {list(v.shape)}, the model's is {own[k].dtype} {list(own[k].shape)}")
    return net.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--outputs")
    ap.add_argument("--model", choices=sorted(MODELS))
    ap.add_argument("--tolerance", type=float, default=1e-6)
    ap.add_argument("--write-images")
    ap.add_argument("--resave")
    args = ap.parse_args()

    try:
        obj = torch.load(args.file, weights_only=True)
    except Exception as e:  # noqa: BLE001
        die(2, f"{args.file}: torch.load(weights_only=True) failed: {type(e).__name__}: {e}")
    nested = isinstance(obj, dict) and "generator" in obj
    if nested:
        unknown = set(obj) - {"generator", "discriminator"}
        if unknown:
            die(2, f"{args.file}: unexpected top-level keys {sorted(unknown)}")
        g_sd, d_sd = obj["generator"], obj.get("discriminator")
    else:
        g_sd, d_sd = obj, None
    model = args.model or ("sagan" if any(k.startswith("self_attntion") for k in g_sd) else "dcgan")
    w = first_weight(g_sd, "generator")
    z_dim, width = w.shape[0], w.shape[1] // 8
    spec = MODELS[model]
    G = load_strict(spec["G"](z_dim, width), g_sd, "generator")
    D = load_strict(spec["D"](z_dim, width), d_sd, "discriminator") if d_sd is not None else None
    report = {"model": model, "z_dim": z_dim, "width": width, "generator_tensors": len(g_sd),
              "discriminator_tensors": None if d_sd is None else len(d_sd)}

    failed = False
    ours = load_safetensors(args.outputs) if args.outputs else {}
    with torch.no_grad():
        if "z" in ours:
            z = ours["z"]
            images = nchw_to_nhwc(first(G(z.view(z.shape[0], z_dim, 1, 1))))
            if "images" in ours:
                report["generator_max_abs"] = float((images - ours["images"]).abs().max())
                report["images_max"] = float(images.abs().max())
                failed |= report["generator_max_abs"] > args.tolerance * max(1.0, report["images_max"])
            if args.write_images:
                save_safetensors(args.write_images, {"images": images})
        if "x" in ours and "logits" in ours and D is not None:
            x = ours["x"].permute(0, 3, 1, 2).contiguous()
            logits = first(D(x)).view(-1)
            report["discriminator_max_abs"] = float((logits - ours["logits"]).abs().max())
            report["logits_max"] = float(logits.abs().max())
            failed |= report["discriminator_max_abs"] > args.tolerance * max(1.0, report["logits_max"])
    if args.resave:
        again = {"generator": G.state_dict()}
        if D is not None:
            again["discriminator"] = D.state_dict()
        torch.save(again if nested else G.state_dict(), args.resave)
    report["tolerance"] = args.tolerance
    report["ok"] = not failed
    print(json.dumps(report))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
