"""Parity fixtures for spectralNorm and SelfAttention2d in @gan/layers, computed by PyTorch 1.13.

spectral-norm.safetensors: Conv2d / ConvTranspose2d wrapped in torch.nn.utils.spectral_norm, from known
weight_orig / bias / weight_u / weight_v: after each of 3 training forwards the weight, u, v and output; then an
eval forward; then gradients of a scalar loss w.r.t. weight_orig, bias and the input, for one training forward
and for a loss spanning two training forwards (u, v change in between, as in D(real) and D(fake)).

attention.safetensors: the reference Self_Attention (imported from tools/reference/reference.py) with gamma = 0.7
on a non-square map: output, attention map, and gradients w.r.t. x, every conv weight / bias and gamma.

Activations are NHWC, parameters in PyTorch layout. Run: /usr/bin/python3 tools/parity/make_attention_fixtures.py
"""
import os
import sys

import torch
import torch.nn as nn

from common import nchw_to_nhwc, save_safetensors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from reference import Self_Attention  # noqa: E402 (the article's block, from the repository's one copy)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "layers", "fixtures")


def spectral_case(prefix, layer, x_shape, n_power_iterations, out):
    nn.utils.spectral_norm(layer, n_power_iterations=n_power_iterations)
    with torch.no_grad():
        layer.weight_orig.copy_(torch.randn_like(layer.weight_orig) * 0.3)
    for name, t in layer.state_dict().items():
        out[f"{prefix}.init.{name}"] = t.clone()
    layer.train()
    xs = [torch.randn(x_shape) for _ in range(3)]
    for k, x in enumerate(xs):
        out[f"{prefix}.x{k}"] = nchw_to_nhwc(x)
        with torch.no_grad():
            y = layer(x)
        out[f"{prefix}.step{k}.out"] = nchw_to_nhwc(y)
        out[f"{prefix}.step{k}.weight"] = layer.weight.clone()
        out[f"{prefix}.step{k}.weight_u"] = layer.weight_u.clone()
        out[f"{prefix}.step{k}.weight_v"] = layer.weight_v.clone()
    layer.eval()
    x_eval = torch.randn(x_shape)
    with torch.no_grad():
        y = layer(x_eval)
    out[f"{prefix}.x_eval"] = nchw_to_nhwc(x_eval)
    out[f"{prefix}.eval.out"] = nchw_to_nhwc(y)
    out[f"{prefix}.eval.weight_u"] = layer.weight_u.clone()  # unchanged by eval forwards
    layer.train()

    def backward(name, inputs):
        # loss = sum_i sum(layer(x_i) * r_i), one training forward per input, all in one graph
        leaves = [x.clone().requires_grad_(True) for x in inputs]
        loss = 0
        for i, leaf in enumerate(leaves):
            out[f"{prefix}.{name}.x{i}"] = nchw_to_nhwc(leaf.detach())
            y = layer(leaf)
            r = torch.randn_like(y)
            out[f"{prefix}.{name}.r{i}"] = nchw_to_nhwc(r)
            out[f"{prefix}.{name}.out{i}"] = nchw_to_nhwc(y.detach())
            loss = loss + (y * r).sum()
        layer.zero_grad()
        loss.backward()
        for i, leaf in enumerate(leaves):
            out[f"{prefix}.{name}.grad_x{i}"] = nchw_to_nhwc(leaf.grad)
        out[f"{prefix}.{name}.grad_weight_orig"] = layer.weight_orig.grad.clone()
        if layer.bias is not None:
            out[f"{prefix}.{name}.grad_bias"] = layer.bias.grad.clone()
        out[f"{prefix}.{name}.weight_u"] = layer.weight_u.clone()
        out[f"{prefix}.{name}.weight_v"] = layer.weight_v.clone()

    # continues from the state after the eval forward (= after the 3 training forwards)
    backward("grad1", [torch.randn(x_shape)])
    backward("grad2", [torch.randn(x_shape), torch.randn(x_shape)])


def make_spectral():
    torch.manual_seed(1)
    out = {}
    spectral_case("conv", nn.Conv2d(3, 5, 3, stride=2, padding=1), (2, 3, 6, 6), 1, out)
    spectral_case("convt", nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1), (2, 4, 3, 3), 1, out)
    spectral_case("conv_n3", nn.Conv2d(4, 6, 2, bias=False), (1, 4, 3, 3), 3, out)
    path = os.path.join(FIXTURES, "spectral-norm.safetensors")
    save_safetensors(path, out, {"generator": "tools/parity/make_attention_fixtures.py", "torch": torch.__version__})
    print(f"wrote {os.path.normpath(path)} ({len(out)} tensors)")


def make_attention():
    torch.manual_seed(2)
    out = {}
    B, C, H, W = 2, 16, 3, 5
    layer = Self_Attention(C)
    with torch.no_grad():
        layer.gamma.fill_(0.7)
    for name, t in layer.state_dict().items():
        out[f"state.{name}"] = t.clone()
    x = torch.randn(B, C, H, W, requires_grad=True)
    y, attention = layer(x)
    r_out = torch.randn_like(y)
    r_att = torch.randn_like(attention)
    loss = (y * r_out).sum() + (attention * r_att).sum()
    loss.backward()
    out["x"] = nchw_to_nhwc(x.detach())
    out["out"] = nchw_to_nhwc(y.detach())
    out["attention"] = attention.detach()
    out["r_out"] = nchw_to_nhwc(r_out)
    out["r_attention"] = r_att
    out["loss"] = loss.detach().reshape([])
    out["grad.x"] = nchw_to_nhwc(x.grad)
    for name, p in layer.named_parameters():
        out[f"grad.{name}"] = p.grad.clone()
    path = os.path.join(FIXTURES, "attention.safetensors")
    save_safetensors(path, out, {"generator": "tools/parity/make_attention_fixtures.py", "torch": torch.__version__})
    print(f"wrote {os.path.normpath(path)} ({len(out)} tensors)")


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_spectral()
    make_attention()
