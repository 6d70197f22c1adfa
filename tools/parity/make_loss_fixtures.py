"""Parity fixtures for @gan/losses: loss values and gradients w.r.t. the logits, computed by PyTorch.

BCE uses nn.BCEWithLogitsLoss (mean); hinge uses the reference SAGAN formulas
(ReLU()(1 - d_out_real).mean() + ReLU()(1 + d_out_fake).mean(), and -d_out_fake.mean()).

LeCam (Tseng et al. 2021) follows google/lecam-gan: moving averages of D's mean logits, updated with each batch
before use (the first batch sets them), and lambda * (mean(relu(D(x) - ema_fake)^2) + mean(relu(ema_real - D(G(z)))^2))
added to the hinge loss, over a sequence of batches.

Run: /usr/bin/python3 tools/parity/make_loss_fixtures.py  (writes packages/losses/fixtures/losses.safetensors and
lecam.safetensors)
"""
import os

import torch
import torch.nn as nn

from common import save_safetensors

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "losses", "fixtures", "losses.safetensors")
OUT_LECAM = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "losses", "fixtures", "lecam.safetensors")


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


def lecam(weight=0.3, decay=0.99, steps=4):
    """Hinge + LeCam over `steps` batches of real and fake logits (different batch sizes, drifting means)."""
    torch.manual_seed(1)
    ema_real = ema_fake = None
    out = {}
    for i in range(steps):
        real = torch.randn(6) * 1.5 + 0.5 * i
        fake = torch.randn(5) * 1.5 - 0.5 * i
        r_mean, f_mean = real.mean().item(), fake.mean().item()
        ema_real = r_mean if ema_real is None else decay * ema_real + (1 - decay) * r_mean
        ema_fake = f_mean if ema_fake is None else decay * ema_fake + (1 - decay) * f_mean

        def total(r, f):
            reg = torch.relu(r - ema_fake).pow(2).mean() + torch.relu(ema_real - f).pow(2).mean()
            return hinge_d(r, f) + weight * reg

        value, (g_real, g_fake) = grads(total, real, fake)
        out[f"step{i}.real"] = real
        out[f"step{i}.fake"] = fake
        out[f"step{i}.d"] = value
        out[f"step{i}.d.grad_real"] = g_real
        out[f"step{i}.d.grad_fake"] = g_fake
        out[f"step{i}.ema"] = torch.tensor([ema_real, ema_fake], dtype=torch.float64)
    meta = {"generator": "tools/parity/make_loss_fixtures.py", "torch": torch.__version__, "weight": str(weight), "decay": str(decay)}
    save_safetensors(OUT_LECAM, out, meta)
    print(f"wrote {os.path.normpath(OUT_LECAM)} ({len(out)} tensors)")


if __name__ == "__main__":
    main()
    lecam()
