"""Parity fixtures for @gan/losses: loss values and gradients w.r.t. the logits, computed by PyTorch.

BCE uses nn.BCEWithLogitsLoss (mean); hinge uses the reference SAGAN formulas
(ReLU()(1 - d_out_real).mean() + ReLU()(1 + d_out_fake).mean(), and -d_out_fake.mean()).

Run: /usr/bin/python3 tools/parity/make_loss_fixtures.py  (writes packages/losses/fixtures/losses.safetensors)
"""
import os

import torch
import torch.nn as nn

from common import save_safetensors

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "losses", "fixtures", "losses.safetensors")


def grads(fn, *inputs):
    xs = [x.clone().requires_grad_(True) for x in inputs]
    loss = fn(*xs)
    loss.backward()
    return loss.detach().reshape([]), [x.grad for x in xs]


def bce_d(real, fake):
    criterion = nn.BCEWithLogitsLoss(reduction="mean")
    return criterion(real, torch.ones_like(real)) + criterion(fake, torch.zeros_like(fake))


def bce_g_nonsat(fake):
    return nn.BCEWithLogitsLoss(reduction="mean")(fake, torch.ones_like(fake))


def bce_g_minimax(fake):
    return -nn.BCEWithLogitsLoss(reduction="mean")(fake, torch.zeros_like(fake))


def hinge_d(real, fake):
    return torch.nn.ReLU()(1.0 - real).mean() + torch.nn.ReLU()(1.0 + fake).mean()


def hinge_g(fake):
    return -fake.mean()


def main():
    torch.manual_seed(0)
    cases = {
        # ordinary logits, same batch size for real and fake
        "normal": (torch.randn(8) * 2.0, torch.randn(8) * 2.0),
        # saturated logits (stability), exact zeros (sigmoid'(0) = 1/2) and the hinge's kinks at +-1;
        # real and fake batches of different sizes
        "extreme": (
            torch.tensor([50.0, -50.0, 100.0, -100.0, 0.0, 1.0, -1.0, 1e-3, 30.0]),
            torch.tensor([100.0, -100.0, 50.0, -50.0, 0.0, -1.0, 1.0]),
        ),
    }
    out = {}
    for name, (real, fake) in cases.items():
        out[f"{name}.real"] = real
        out[f"{name}.fake"] = fake
        for loss_name, d_fn, g_fns in [
            ("bce", bce_d, {"nonsat": bce_g_nonsat, "minimax": bce_g_minimax}),
            ("hinge", hinge_d, {"g": hinge_g}),
        ]:
            value, (g_real, g_fake) = grads(d_fn, real, fake)
            out[f"{name}.{loss_name}.d"] = value
            out[f"{name}.{loss_name}.d.grad_real"] = g_real
            out[f"{name}.{loss_name}.d.grad_fake"] = g_fake
            for g_name, g_fn in g_fns.items():
                value, (g_fake,) = grads(g_fn, fake)
                out[f"{name}.{loss_name}.{g_name}"] = value
                out[f"{name}.{loss_name}.{g_name}.grad_fake"] = g_fake
    for k, v in out.items():
        assert torch.isfinite(v).all(), k
    save_safetensors(OUT, out, {"generator": "tools/parity/make_loss_fixtures.py", "torch": torch.__version__})
    print(f"wrote {os.path.normpath(OUT)} ({len(out)} tensors)")


if __name__ == "__main__":
    main()
