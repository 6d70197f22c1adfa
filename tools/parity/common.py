"""Helpers shared by the fixture scripts: write tensors as safetensors (no extra Python package needed), NCHW -> NHWC,
and larger attention weights for the fixtures. The reference models themselves live in tools/reference/reference.py.

Run the scripts with Debian's PyTorch: `/usr/bin/python3 tools/parity/<script>.py`. They are deterministic
(fixed seeds) and write into the `fixtures/` folder of the package they check.
"""
import json
import struct

import numpy as np
import torch

DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("int64"): "I64", np.dtype("bool"): "BOOL"}


def save_safetensors(path, tensors, metadata=None):
    """Writes a dict name -> torch.Tensor | np.ndarray as a safetensors file (float64 is stored as F32)."""
    header = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        shape = list(a.shape)  # taken before ascontiguousarray, which turns 0-d arrays into 1-d ones
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype], "shape": shape, "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def nchw_to_nhwc(t):
    """PyTorch activations [B, C, H, W] -> tfjs [B, H, W, C]."""
    return t.permute(0, 2, 3, 1).contiguous()


def liven_attention(attn, gamma, scale):
    """For fixtures of the reference's `Self_Attention` block `attn`: weights_init leaves the 1×1 convolutions at
    N(0, 0.02), which makes the maps nearly uniform. Draws the query/key weights from N(0, scale) and the value
    weights from N(0, 0.2) (in that order), and sets `gamma` (0 keeps the reference's starting point, where the
    attention changes nothing)."""
    with torch.no_grad():
        attn.gamma.fill_(gamma)
        attn.query_conv.weight.normal_(0.0, scale)
        attn.key_conv.weight.normal_(0.0, scale)
        attn.value_conv.weight.normal_(0.0, 0.2)
