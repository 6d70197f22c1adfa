"""Parity fixtures for the core layers of @gan/layers (Conv2d, ConvTranspose2d, BatchNorm2d, activations,
nested Sequential state dicts, 2× bilinear upsampling, 2×2 average pooling, the latent gap, minibatch
standard deviation, PacGAN's packing) and a safetensors
interoperability file.

Run from the repository root with Debian's PyTorch 1.13:
    /usr/bin/python3 tools/parity/make_layer_fixtures.py            # every fixture
    /usr/bin/python3 tools/parity/make_layer_fixtures.py latent_gap  # only the named ones (keys of FIXTURES)
Writes packages/layers/fixtures/layers_*.safetensors. Activations are stored NHWC, parameters in PyTorch
layout. Each case `<case>` holds `<case>.x`, `<case>.r` (the fixed weights of the loss sum(out * r)),
`<case>.y`, `<case>.<param>` and the gradients `<case>.grad.x`, `<case>.grad.<param>`.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import nchw_to_nhwc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "layers", "fixtures")

torch.manual_seed(0)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def save_safetensors(path, tensors, metadata=None):
    """common.save_safetensors, then restores the shape [] of 0-d tensors (BatchNorm's num_batches_tracked):
    np.ascontiguousarray in common.py turns them into shape [1]. A no-op once common.py keeps 0-d shapes."""
    common.save_safetensors(path, tensors, metadata)
    scalars = [name for name, t in tensors.items() if t.dim() == 0]
    if not scalars:
        return
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    for name in scalars:
        header[name]["shape"] = []
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.write(raw[8 + n :])


def randomize(module):
    """Gives every parameter non-trivial values so that a wrong layout or a missing term shows."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)


def run_case(out, name, module, x, params):
    """Forward + backward of sum(module(x) * r); records input, r, output, parameters and gradients."""
    x = x.clone().requires_grad_(True)
    for p in params.values():
        p.grad = None
    y = module(x)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    out[f"{name}.x"] = nchw_to_nhwc(x.detach())
    out[f"{name}.r"] = nchw_to_nhwc(r)
    out[f"{name}.y"] = nchw_to_nhwc(y.detach())
    out[f"{name}.grad.x"] = nchw_to_nhwc(x.grad)
    for pname, p in params.items():
        out[f"{name}.{pname}"] = p.detach().clone()
        out[f"{name}.grad.{pname}"] = p.grad.clone()


def conv_fixtures():
    out = {}
    cases = [
        # name, layer, input NCHW shape
        ("k4s2p1", nn.Conv2d(3, 4, 4, stride=2, padding=1), (2, 3, 8, 8)),
        ("k1", nn.Conv2d(8, 2, 1, bias=False), (2, 8, 5, 5)),
        ("k4s1p0", nn.Conv2d(4, 1, 4, stride=1, padding=0), (2, 4, 4, 4)),
        ("k3s2p2_odd", nn.Conv2d(2, 3, 3, stride=2, padding=2), (1, 2, 7, 6)),
    ]
    for name, layer, shape in cases:
        randomize(layer)
        run_case(out, f"conv2d.{name}", layer, torch.randn(shape), dict(layer.named_parameters()))
    save_safetensors(os.path.join(OUT, "layers_conv2d.safetensors"), out)


def conv_transpose_fixtures():
    out = {}
    cases = [
        ("k4s1p0", nn.ConvTranspose2d(20, 8, 4, stride=1, padding=0), (2, 20, 1, 1)),
        ("k4s2p1", nn.ConvTranspose2d(6, 3, 4, stride=2, padding=1), (2, 6, 4, 4)),
        ("k3s2p1op1", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, bias=False), (2, 3, 5, 4)),
        ("k4s3p1op2", nn.ConvTranspose2d(2, 3, 4, stride=3, padding=1, output_padding=2), (1, 2, 3, 3)),
    ]
    for name, layer, shape in cases:
        randomize(layer)
        run_case(out, f"convt.{name}", layer, torch.randn(shape), dict(layer.named_parameters()))
    save_safetensors(os.path.join(OUT, "layers_conv_transpose2d.safetensors"), out)


def batch_norm_fixtures():
    out = {}
    bn = nn.BatchNorm2d(3)
    randomize(bn)
    out["bn.weight"] = bn.weight.detach().clone()
    out["bn.bias"] = bn.bias.detach().clone()
    bn.train()
    for step in range(3):
        x = (torch.randn(4, 3, 5, 5) * (1 + step) + step).requires_grad_(True)
        bn.weight.grad = None
        bn.bias.grad = None
        y = bn(x)
        r = torch.randn_like(y)
        (y * r).sum().backward()
        p = f"bn.train{step}"
        out[f"{p}.x"] = nchw_to_nhwc(x.detach())
        out[f"{p}.r"] = nchw_to_nhwc(r)
        out[f"{p}.y"] = nchw_to_nhwc(y.detach())
        out[f"{p}.grad.x"] = nchw_to_nhwc(x.grad)
        out[f"{p}.grad.weight"] = bn.weight.grad.clone()
        out[f"{p}.grad.bias"] = bn.bias.grad.clone()
        out[f"{p}.running_mean"] = bn.running_mean.clone()
        out[f"{p}.running_var"] = bn.running_var.clone()
        out[f"{p}.num_batches_tracked"] = bn.num_batches_tracked.clone()
    bn.eval()
    bn.weight.grad = None
    bn.bias.grad = None
    run_case(out, "bn.eval", bn, torch.randn(2, 3, 4, 4) * 2 + 1, {"weight": bn.weight, "bias": bn.bias})
    # momentum=None: reset_running_stats(), then the running statistics are plain averages over the batches
    # seen (BigGAN's "standing statistics"). Its own generator, so the fixtures made after this are unchanged.
    g = torch.Generator().manual_seed(7)
    cumulative = nn.BatchNorm2d(3, momentum=None)
    cumulative.load_state_dict(bn.state_dict())
    cumulative.reset_running_stats()
    cumulative.train()
    with torch.no_grad():
        for step in range(3):
            x = torch.randn(4, 3, 5, 5, generator=g) * (3 - step) + step
            p = f"bn.cumulative{step}"
            out[f"{p}.x"] = nchw_to_nhwc(x)
            out[f"{p}.y"] = nchw_to_nhwc(cumulative(x))
            out[f"{p}.running_mean"] = cumulative.running_mean.clone()
            out[f"{p}.running_var"] = cumulative.running_var.clone()
    save_safetensors(os.path.join(OUT, "layers_batch_norm2d.safetensors"), out)


def activation_fixtures():
    out = {}
    for name, layer in [("relu", nn.ReLU()), ("leaky0.1", nn.LeakyReLU(0.1)), ("leaky_default", nn.LeakyReLU()), ("tanh", nn.Tanh())]:
        run_case(out, f"act.{name}", layer, torch.randn(2, 3, 4, 5) * 2, {})
    save_safetensors(os.path.join(OUT, "layers_activations.safetensors"), out)


def sequential_fixtures():
    """A nested Sequential like the reference's blocks: its state dict (names and order), a training forward."""
    model = nn.Sequential(
        # No bias before a training-mode BatchNorm: its gradient is exactly 0 there, so only rounding noise
        # would be compared.
        nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.LeakyReLU(0.1)),
        nn.ConvTranspose2d(4, 2, 4, 2, 1),
        nn.Tanh(),
    )
    randomize(model)
    state = {f"state.{k}": v.clone() for k, v in model.state_dict().items()}
    metadata = {
        "state_dict_keys": json.dumps(list(model.state_dict().keys())),
        "named_parameters": json.dumps([n for n, _ in model.named_parameters()]),
        "named_buffers": json.dumps([n for n, _ in model.named_buffers()]),
    }
    out = dict(state)
    model.train()
    run_case(out, "seq", model, torch.randn(2, 3, 8, 8), dict(model.named_parameters()))
    for k, v in model.state_dict().items():
        if "running" in k or "num_batches" in k:
            out[f"seq.after.{k}"] = v.clone()
    save_safetensors(os.path.join(OUT, "layers_sequential.safetensors"), out, metadata)


def interop_fixture():
    """A small file written by common.py with every dtype it emits, for the TS reader."""
    bn = nn.BatchNorm2d(2)
    bn(torch.randn(3, 2, 2, 2))
    bn(torch.randn(3, 2, 2, 2))
    tensors = {
        "f32_matrix": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4 - 0.5,
        "f32_scalar": torch.tensor(3.25),
        "i32_vector": torch.tensor([-7, 0, 2147483647], dtype=torch.int32),
        "i64_vector": torch.tensor([-2147483648, -1, 5, 123456789], dtype=torch.int64),
        "bool_vector": torch.tensor([True, False, True]),
        "f64_as_f32": torch.tensor([[0.1, -2.5]], dtype=torch.float64),
        "num_batches_tracked": bn.num_batches_tracked,
        "empty": torch.zeros(0, 3),
    }
    save_safetensors(os.path.join(OUT, "layers_interop.safetensors"), tensors, {"format": "pt", "written_by": "common.py"})


def resample_fixtures():
    """The parameterless resampling layers: 2x bilinear upsampling (align_corners=False) and 2x2 average pooling."""
    out = {}
    run_case(out, "up.bilinear2", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), torch.randn(2, 3, 5, 4), {})
    run_case(out, "up.bilinear2_1px", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), torch.randn(1, 1, 1, 3), {})
    run_case(out, "pool.avg2", nn.AvgPool2d(2), torch.randn(2, 3, 6, 4), {})
    save_safetensors(os.path.join(OUT, "layers_resample.safetensors"), out)


class LatentGap(nn.Module):
    """The latent prior with separate modes of @gan/layers' LatentGap: the first `dims` coordinates of z (dim 1)
    become sign(z) * (gap + scale * |z|)."""

    def __init__(self, dims=1, gap=2.0, scale=0.5):
        super().__init__()
        self.dims, self.gap, self.scale = dims, gap, scale

    def forward(self, z):
        head, tail = z[:, : self.dims], z[:, self.dims :]
        return torch.cat([torch.sign(head) * (self.gap + self.scale * head.abs()), tail], 1)


def latent_gap_fixtures():
    """Codes [B, zDim, 1, 1] (stored NHWC as [B, 1, 1, zDim]) through LatentGap with three settings."""
    torch.manual_seed(8)  # its own seed, so that this fixture does not depend on the others
    out = {}
    run_case(out, "gap.default", LatentGap(), torch.randn(6, 20, 1, 1), {})
    run_case(out, "gap.d3", LatentGap(dims=3, gap=1.0, scale=0.25), torch.randn(5, 8, 1, 1), {})
    run_case(out, "gap.all", LatentGap(dims=4, gap=0.5, scale=2.0), torch.randn(3, 4, 1, 1), {})
    save_safetensors(os.path.join(OUT, "layers_latent_gap.safetensors"), out)


class MinibatchStd(nn.Module):
    """StyleGAN2's MinibatchStdLayer (stylegan2-ada-pytorch, networks.py) with one channel: the standard deviation
    over groups of `group_size` samples (sample n in group n mod N/G), averaged over channels and positions,
    appended as a channel. Here G must divide N."""

    def __init__(self, group_size=4):
        super().__init__()
        self.group_size = group_size

    def forward(self, x):
        N, C, H, W = x.shape
        G = min(self.group_size, N)
        y = x.reshape(G, -1, 1, C, H, W)
        y = y - y.mean(dim=0)
        y = y.square().mean(dim=0)
        y = (y + 1e-8).sqrt()
        y = y.mean(dim=[2, 3, 4])
        y = y.reshape(-1, 1, 1, 1)
        y = y.repeat(G, 1, H, W)
        return torch.cat([x, y], dim=1)


def minibatch_std_fixtures():
    """MinibatchStd with groups of 4 (batch 8), of the whole batch (batch 3) and of 2 (batch 6)."""
    torch.manual_seed(9)
    out = {}
    run_case(out, "mbstd.g4", MinibatchStd(4), torch.randn(8, 3, 4, 5), {})
    run_case(out, "mbstd.whole", MinibatchStd(4), torch.randn(3, 2, 3, 3), {})
    run_case(out, "mbstd.g2", MinibatchStd(2), torch.randn(6, 5, 2, 2), {})
    save_safetensors(os.path.join(OUT, "layers_minibatch_std.safetensors"), out)


class Pack(nn.Module):
    """PacGAN's packing (Lin et al. 2018; the authors' code reshapes a batch of N images to N/m inputs of m·C
    channels): consecutive samples stacked along the channels. When m does not divide N, the last pack is
    completed with the batch's first samples."""

    def __init__(self, pack):
        super().__init__()
        self.pack = pack

    def forward(self, x):
        N, C, H, W = x.shape
        packs = -(-N // self.pack)
        filled = x
        while filled.shape[0] < packs * self.pack:
            filled = torch.cat([filled, x[: min(N, packs * self.pack - filled.shape[0])]])
        return filled.view(packs, self.pack * C, H, W)


def pack_fixtures():
    """Packing by 2 (batch 6), by 4 (batch 8), by 2 of an odd batch (5) and by 4 of a batch of 2, and by 2
    followed by a convolution over the packed channels, as a packed discriminator's first layer."""
    torch.manual_seed(10)
    out = {}
    run_case(out, "pack.p2", Pack(2), torch.randn(6, 3, 4, 5), {})
    run_case(out, "pack.p4", Pack(4), torch.randn(8, 2, 3, 3), {})
    run_case(out, "pack.odd", Pack(2), torch.randn(5, 1, 3, 2), {})
    run_case(out, "pack.short", Pack(4), torch.randn(2, 2, 2, 2), {})
    conv = nn.Conv2d(2 * 3, 4, 4, stride=2, padding=1)
    randomize(conv)
    run_case(out, "pack.conv", nn.Sequential(Pack(2), conv), torch.randn(4, 3, 8, 8), {"1.weight": conv.weight, "1.bias": conv.bias})
    save_safetensors(os.path.join(OUT, "layers_pack.safetensors"), out)


FIXTURES = {
    "conv": conv_fixtures,
    "conv_transpose": conv_transpose_fixtures,
    "batch_norm": batch_norm_fixtures,
    "activation": activation_fixtures,
    "sequential": sequential_fixtures,
    "interop": interop_fixture,
    "resample": resample_fixtures,
    "latent_gap": latent_gap_fixtures,
    "minibatch_std": minibatch_std_fixtures,
    "pack": pack_fixtures,
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name in sys.argv[1:] or FIXTURES:
        FIXTURES[name]()
    for f in sorted(os.listdir(OUT)):
        if f.startswith("layers"):
            print(f, os.path.getsize(os.path.join(OUT, f)), "bytes")
