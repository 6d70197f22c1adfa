"""Writes the parity fixtures of @gan/dcgan and @gan/sagan from the reference PyTorch models.

    /usr/bin/python3 tools/parity/make_model_fixtures.py

The models, their initialisation and losses are the article's (../../../shared/reference), from the repository's
one copy of them, tools/reference/reference.py (`reference.build`, `reference.MODELS`). For each model (DCGAN,
SAGAN) at a small width (image_size = WIDTH, z_dim 20, batch BATCH) it writes into `packages/<model>/fixtures/`:

- `generator.init.safetensors`, `discriminator.init.safetensors`: the state dicts after `weights_init`, saved
  with `torch.save` to a `.pth` file and converted by `tools/convert_pth.py` (the PyTorch-checkpoint import
  path; the script checks that converting back gives a `.pth` the reference loads with `strict=True`).
- `generator.parity.safetensors`: `z`; in train mode the images, attention maps, the generator loss of the
  reference loop (through the initial discriminator, also in train mode), its gradient w.r.t. every generator parameter
  (`grad.<name>`) and `z` (`grad.z`), and every buffer after that forward (`after.<name>`); then, in eval
  mode, the images and attention maps.
- `discriminator.parity.safetensors`: `x_real`, `x_fake`; in train mode the logits of both (two forwards, as
  in the reference loop), attention maps, the discriminator loss, gradients w.r.t. every parameter and both
  inputs, buffers after; then the eval-mode logits and attention maps.
- `param-counts.json`: parameter counts of the reference configuration (z_dim 20, image_size 64).

Activations are NHWC (`nchw_to_nhwc`), parameters in PyTorch layout. Attention maps `[B, N, N]` with N > 64
are stored for every batch element but only for the rows listed in `<prefix>.attentionK.rows`, to keep the
fixtures small. The losses are the reference's: BCE-with-logits for DCGAN, hinge for SAGAN.
"""
import collections
import copy
import json
import os
import subprocess
import sys
import tempfile

import torch

from common import liven_attention, nchw_to_nhwc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from convert_pth import save_safetensors_exact  # noqa: E402
from reference import MODELS, build, split  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CONVERT = os.path.join(ROOT, "tools", "convert_pth.py")
WIDTH = 16  # the reference's `image_size` (a width multiplier): 64 in the article, small here
Z_DIM = 20
BATCH = 2


# ---------------------------------------------------------------- fixture helpers

def attention_entries(prefix, maps):
    out = {}
    for i, m in enumerate(maps, 1):
        n = m.shape[1]
        if n > 64:
            rows = torch.tensor(sorted(set(range(0, n, n // 32)) | {n - 1}))
            out[f"{prefix}.attention{i}.rows"] = rows.int()
            m = m[:, rows, :]
        out[f"{prefix}.attention{i}"] = m
    return out


def save_init_via_pth(model, path, tmp):
    """torch.save → convert_pth.py → safetensors; then back to .pth, which must load strictly and agree."""
    pth = os.path.join(tmp, os.path.basename(path).replace(".safetensors", ".pth"))
    torch.save(model.state_dict(), pth)
    subprocess.run([sys.executable, CONVERT, pth, path], check=True, stdout=subprocess.DEVNULL)
    back = os.path.join(tmp, "back.pth")
    subprocess.run([sys.executable, CONVERT, path, back, "--to-pth"], check=True, stdout=subprocess.DEVNULL)
    clone = copy.deepcopy(model)
    clone.load_state_dict(torch.load(back), strict=True)
    for (k, a), (k2, b) in zip(model.state_dict().items(), torch.load(back).items()):
        assert k == k2 and a.dtype == b.dtype and torch.equal(a, b), f"round trip changed {k}"


def generator_fixture(spec, G, D, z):
    """G and D in train mode, as in the reference loop's G step (pass a copy of D: its u/v change)."""
    G.train()
    D.train()
    z = z.clone().requires_grad_(True)
    images, maps = split(G(z.view(z.size(0), z.size(1), 1, 1)))
    d_out, _ = split(D(images))
    loss = spec["g_loss"](d_out)
    loss.backward()
    out = {"z": z.detach(), "train.images": nchw_to_nhwc(images), "train.logits": d_out.view(-1), "train.loss": loss}
    out.update(attention_entries("train", maps))
    out.update({f"grad.{k}": p.grad for k, p in G.named_parameters()})
    out["grad.z"] = z.grad
    out.update({f"after.{k}": b for k, b in G.named_buffers()})
    G.eval()
    with torch.no_grad():
        images, maps = split(G(z.detach().view(z.size(0), z.size(1), 1, 1)))
    out["eval.images"] = nchw_to_nhwc(images)
    out.update(attention_entries("eval", maps))
    return out


def discriminator_fixture(spec, D, x_real, x_fake):
    """D in train mode on a real and a fake batch (two forwards, as the reference loop), the reference D loss."""
    D.train()
    x_real = x_real.clone().requires_grad_(True)
    x_fake = x_fake.clone().requires_grad_(True)
    d_out_real, maps_real = split(D(x_real))
    d_out_fake, maps_fake = split(D(x_fake))
    loss = spec["d_loss"](d_out_real, d_out_fake)
    loss.backward()
    out = {"x_real": nchw_to_nhwc(x_real.detach()), "x_fake": nchw_to_nhwc(x_fake.detach()),
           "train.logits_real": d_out_real.view(-1), "train.logits_fake": d_out_fake.view(-1), "train.loss": loss}
    out.update(attention_entries("train.real", maps_real))
    out.update(attention_entries("train.fake", maps_fake))
    out.update({f"grad.{k}": p.grad for k, p in D.named_parameters()})
    out["grad.x_real"] = nchw_to_nhwc(x_real.grad)
    out["grad.x_fake"] = nchw_to_nhwc(x_fake.grad)
    out.update({f"after.{k}": b for k, b in D.named_buffers()})
    D.eval()
    with torch.no_grad():
        d_out_real, maps_real = split(D(x_real.detach()))
        d_out_fake, _ = split(D(x_fake.detach()))
    out["eval.logits_real"] = d_out_real.view(-1)
    out["eval.logits_fake"] = d_out_fake.view(-1)
    out.update(attention_entries("eval.real", maps_real))
    return out


def param_counts(spec):
    g, d = spec["G"](z_dim=20, image_size=64), spec["D"](z_dim=20, image_size=64)
    return {"config": {"z_dim": 20, "image_size": 64, "channels": 1},
            "generator": sum(p.numel() for p in g.parameters()),
            "discriminator": sum(p.numel() for p in d.parameters())}


def make(name, spec, seed, tmp):
    out_dir = os.path.join(ROOT, "packages", name, "fixtures")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    G, D = build(name, Z_DIM, WIDTH)  # constructed, then weights_init, as the article does
    if name == "sagan":
        # weights_init leaves gamma at 0 (the attention then changes nothing) and the 1×1 convolutions at
        # N(0, 0.02) (nearly uniform maps): non-zero gammas and larger query/key weights exercise the attention
        # path and its gradients.
        for net, gammas, scale in ((G, (0.8, -0.6), 0.2), (D, (0.7, 0.5), 0.5)):
            for attn, gamma in zip([net.self_attntion1, net.self_attntion2], gammas):
                liven_attention(attn, gamma, scale)
    meta = {"model": name, "image_size": WIDTH, "z_dim": Z_DIM, "batch": BATCH, "seed": seed,
            "torch": torch.__version__}
    save_init_via_pth(G, os.path.join(out_dir, "generator.init.safetensors"), tmp)
    save_init_via_pth(D, os.path.join(out_dir, "discriminator.init.safetensors"), tmp)

    z = torch.randn(BATCH, Z_DIM)
    x_real = torch.rand(BATCH, 1, 64, 64) * 2 - 1
    x_fake = torch.tanh(torch.randn(BATCH, 1, 64, 64))
    g_fix = generator_fixture(spec, G, copy.deepcopy(D), z)
    d_fix = discriminator_fixture(spec, D, x_real, x_fake)
    for fname, tensors in (("generator.parity.safetensors", g_fix), ("discriminator.parity.safetensors", d_fix)):
        save_safetensors_exact(os.path.join(out_dir, fname), collections.OrderedDict(tensors), metadata=meta)
    with open(os.path.join(out_dir, "param-counts.json"), "w") as f:
        json.dump(param_counts(spec), f, indent=2)
        f.write("\n")
    for fname in sorted(os.listdir(out_dir)):
        print(f"{name}/fixtures/{fname}: {os.path.getsize(os.path.join(out_dir, fname)) / 1e6:.2f} MB")


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        make("dcgan", MODELS["dcgan"], seed=1, tmp=tmp)
        make("sagan", MODELS["sagan"], seed=2, tmp=tmp)


if __name__ == "__main__":
    main()
