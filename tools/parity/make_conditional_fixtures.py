"""Parity fixtures of the class-conditional layers and models: ConditionalBatchNorm2d and the projection head
(@gan/layers), and the conditional generators and discriminators of @gan/sagan and @gan/dcgan (`numClasses`).

Run from the repository root with Debian's PyTorch 1.13:
    /usr/bin/python3 tools/parity/make_conditional_fixtures.py            # every fixture
    /usr/bin/python3 tools/parity/make_conditional_fixtures.py layers     # only the named ones (keys of FIXTURES)

The models are tools/reference/reference.py's `Conditional*` classes (`build_conditional`); this script only
draws inputs and writes what they compute. Fixed seeds, one thread, deterministic algorithms. Activations are stored
NHWC (`nchw_to_nhwc`), parameters in PyTorch's layout, labels as int64.

- `packages/layers/fixtures/layers_conditional.safetensors`:
  `cbn.*`: a ConditionalBatchNorm2d(3 channels, 4 classes) with per-class scales and shifts drawn far from 1 and 0,
  three training forwards (`cbn.train<k>`) and one in eval mode (`cbn.eval`), each with `x`, `labels` (class 3 is
  never drawn, so its rows must get exactly zero gradient), `r` (the loss is sum(out * r)), `y`, the gradients
  w.r.t. `x`, `gamma_embed.weight`, `beta_embed.weight`, and the running statistics after the forward.
  `proj.*`: the projection term <embed(y), phi> on NHWC features [4, 2, 2, 6] (phi flattened in PyTorch's
  (C, H, W) order) and on flat features [4, 24]: plain (`proj.plain`, `proj.flat`), and spectrally normalised
  (`proj.sn.train0`, `proj.sn.train1`, `proj.sn.eval`, with `weight_u` / `weight_v` after each forward).
- `packages/{sagan,dcgan}/fixtures/conditional-{generator,discriminator}.init.safetensors`: the initial state dicts
  (after `conditional_weights_init`; per-class scales and shifts redrawn from N(1, 0.3) and N(0, 0.3) so that the
  class matters; SAGAN's attention livened as in make_model_fixtures.py, with larger query/key weights).
- `packages/{sagan,dcgan}/fixtures/conditional-{generator,discriminator}.parity.safetensors`: as
  make_model_fixtures.py's `*.parity.safetensors` (the generator's `z`, `labels`; the discriminator's `x_real`,
  `labels_real`, `x_fake`, `labels_fake`; `train.*` outputs, maps and loss, `grad.*` w.r.t. every parameter and
  input, `after.*` buffers), plus an evaluation-mode forward **and backward** of the same loss (`eval.*`,
  `eval.grad.*`). Attention maps with more than 64 positions keep every 8th row (`<key>.rows`).

Sizes: width (image_size) 8, z_dim 20, batch 4, 4 classes (class 3 absent from the generator's labels). The
metadata has `param_counts`, the parameter counts at the reference size (z_dim 20, image_size 64) with 10 classes.
Each model step is replayed in float64 before it is written, and the script stops when the float32 gradients differ
from it by more than 3e-5: then an activation sits at a ReLU kink, and the seed must change (the seeds below pass).
"""
import collections
import copy
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from common import liven_attention, nchw_to_nhwc  # noqa: E402
from convert_pth import save_safetensors_exact  # noqa: E402
import reference  # noqa: E402
from reference import CONDITIONAL_MODELS, ConditionalBatchNorm2d, build_conditional, split  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
WIDTH = 8
Z_DIM = 20
BATCH = 4
NUM_CLASSES = 4

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def save(path, tensors, metadata=None):
    save_safetensors_exact(path, collections.OrderedDict(tensors), metadata=metadata)
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path) / 1e3:.1f} kB")


# ---------------------------------------------------------------- layers

def cbn_case(out, name, cbn, x, y):
    x = x.clone().requires_grad_(True)
    for p in cbn.parameters():
        p.grad = None
    z = cbn(x, y)
    r = torch.randn_like(z)
    (z * r).sum().backward()
    out[f"{name}.x"] = nchw_to_nhwc(x.detach())
    out[f"{name}.labels"] = y
    out[f"{name}.r"] = nchw_to_nhwc(r)
    out[f"{name}.y"] = nchw_to_nhwc(z.detach())
    out[f"{name}.grad.x"] = nchw_to_nhwc(x.grad)
    for pname, p in cbn.named_parameters():
        out[f"{name}.grad.{pname}"] = p.grad.clone()
    for bname, b in cbn.named_buffers():
        out[f"{name}.{bname}"] = b.clone()


def proj_case(out, name, embed, h, y):
    """The class term <embed(y), h flattened> (reference.projection) and its gradients w.r.t. h and the weight."""
    h = h.clone().requires_grad_(True)
    for p in embed.parameters():
        p.grad = None
    z = reference.projection(embed, h, y).view(-1)
    r = torch.randn_like(z)
    (z * r).sum().backward()
    out[f"{name}.x"] = nchw_to_nhwc(h.detach()) if h.dim() == 4 else h.detach()
    out[f"{name}.labels"] = y
    out[f"{name}.r"] = r
    out[f"{name}.y"] = z.detach()
    out[f"{name}.grad.x"] = nchw_to_nhwc(h.grad) if h.dim() == 4 else h.grad
    for pname, p in embed.named_parameters():
        out[f"{name}.grad.{pname}"] = p.grad.clone()
    for bname, b in embed.named_buffers():
        out[f"{name}.{bname}"] = b.clone()


def layer_fixtures():
    torch.manual_seed(30)
    out = {}
    cbn = ConditionalBatchNorm2d(3, NUM_CLASSES)
    with torch.no_grad():
        cbn.gamma_embed.weight.copy_(1 + 0.5 * torch.randn(NUM_CLASSES, 3))
        cbn.beta_embed.weight.copy_(0.5 * torch.randn(NUM_CLASSES, 3))
    for pname, p in cbn.named_parameters():
        out[f"cbn.{pname}"] = p.detach().clone()
    cbn.train()
    for step, labels in enumerate(([2, 0, 2, 1], [1, 1, 0, 2], [0, 2, 1, 0])):
        x = torch.randn(4, 3, 5, 5) * (1 + step) + step
        cbn_case(out, f"cbn.train{step}", cbn, x, torch.tensor(labels))
    cbn.eval()
    cbn_case(out, "cbn.eval", cbn, torch.randn(4, 3, 4, 4) * 2 + 1, torch.tensor([1, 0, 2, 2]))

    # The projection head: plain, on NHWC and on flat features, then spectrally normalised (two training forwards,
    # each moving u and v, and one in eval mode).
    plain = torch.nn.Embedding(NUM_CLASSES, 24)
    out["proj.plain.weight"] = plain.weight.detach().clone()
    proj_case(out, "proj.plain", plain, torch.randn(4, 6, 2, 2), torch.tensor([3, 0, 3, 1]))
    proj_case(out, "proj.flat", plain, torch.randn(4, 24), torch.tensor([2, 2, 0, 1]))
    sn = torch.nn.utils.spectral_norm(torch.nn.Embedding(NUM_CLASSES, 24))
    for pname, p in sn.named_parameters():
        out[f"proj.sn.{pname}"] = p.detach().clone()
    for bname, b in sn.named_buffers():
        out[f"proj.sn.init.{bname}"] = b.clone()
    sn.train()
    proj_case(out, "proj.sn.train0", sn, torch.randn(4, 6, 2, 2), torch.tensor([3, 0, 3, 1]))
    proj_case(out, "proj.sn.train1", sn, torch.randn(4, 6, 2, 2) * 2, torch.tensor([0, 1, 2, 3]))
    sn.eval()
    proj_case(out, "proj.sn.eval", sn, torch.randn(4, 6, 2, 2), torch.tensor([1, 1, 2, 0]))
    save(os.path.join(ROOT, "packages", "layers", "fixtures", "layers_conditional.safetensors"), out,
         {"num_classes": NUM_CLASSES, "torch": torch.__version__})


# ---------------------------------------------------------------- models

def attention_entries(prefix, maps):
    out = {}
    for i, m in enumerate(maps, 1):
        n = m.shape[1]
        if n > 64:
            rows = torch.tensor(sorted(set(range(0, n, n // 8)) | {n - 1}))
            out[f"{prefix}.attention{i}.rows"] = rows.int()
            m = m[:, rows, :]
        out[f"{prefix}.attention{i}"] = m.detach()
    return out


def generator_fixture(spec, G, D, z, y):
    """The G step of a conditional GAN: D scores G(z, y) with the labels y. Train mode, then eval mode (both
    with gradients). `D` is a copy: its spectral-norm vectors move."""
    out = {"z": z, "labels": y}
    for mode in ("train", "eval"):
        G.train(mode == "train")
        D.train(mode == "train")
        G.zero_grad()
        zz = z.clone().requires_grad_(True)
        images, maps = split(G(zz.view(z.size(0), z.size(1), 1, 1), y))
        d_out, _ = split(D(images, y))
        loss = spec["g_loss"](d_out)
        loss.backward()
        grad = "grad" if mode == "train" else "eval.grad"
        out.update({f"{mode}.images": nchw_to_nhwc(images.detach()), f"{mode}.logits": d_out.detach().view(-1), f"{mode}.loss": loss.detach()})
        out.update(attention_entries(mode, maps))
        out.update({f"{grad}.{k}": p.grad.clone() for k, p in G.named_parameters()})
        out[f"{grad}.z"] = zz.grad
        if mode == "train":
            out.update({f"after.{k}": b.clone() for k, b in G.named_buffers()})
    return out


def discriminator_fixture(spec, D, x_real, y_real, x_fake, y_fake):
    """The D step: real and fake batches with their labels (two forwards), train mode then eval mode."""
    out = {"x_real": nchw_to_nhwc(x_real), "labels_real": y_real, "x_fake": nchw_to_nhwc(x_fake), "labels_fake": y_fake}
    for mode in ("train", "eval"):
        D.train(mode == "train")
        D.zero_grad()
        xr = x_real.clone().requires_grad_(True)
        xf = x_fake.clone().requires_grad_(True)
        d_real, maps_real = split(D(xr, y_real))
        d_fake, maps_fake = split(D(xf, y_fake))
        loss = spec["d_loss"](d_real, d_fake)
        loss.backward()
        grad = "grad" if mode == "train" else "eval.grad"
        out.update({f"{mode}.logits_real": d_real.detach().view(-1), f"{mode}.logits_fake": d_fake.detach().view(-1), f"{mode}.loss": loss.detach()})
        out.update(attention_entries(f"{mode}.real", maps_real))
        out.update(attention_entries(f"{mode}.fake", maps_fake))
        out.update({f"{grad}.{k}": p.grad.clone() for k, p in D.named_parameters()})
        out[f"{grad}.x_real"] = nchw_to_nhwc(xr.grad)
        out[f"{grad}.x_fake"] = nchw_to_nhwc(xf.grad)
        if mode == "train":
            out.update({f"after.{k}": b.clone() for k, b in D.named_buffers()})
    return out


def param_counts(spec):
    g, d = spec["G"](20, 64, 10), spec["D"](20, 64, 10)
    return {"config": {"z_dim": 20, "image_size": 64, "channels": 1, "num_classes": 10},
            "generator": sum(p.numel() for p in g.parameters()),
            "discriminator": sum(p.numel() for p in d.parameters())}


def float64_error(fixture, exact):
    """The largest error of the fixture's float32 gradients against `exact` (the same step in float64), each
    normwise over its module as the TypeScript tests measure it, and the key where it is."""
    worst = (0.0, None)
    for key, e in exact.items():
        module = key.rsplit(".", 1)[0]
        scale = max(v.abs().max().item() for k, v in exact.items() if k.rsplit(".", 1)[0] == module)
        if scale > 0:
            worst = max(worst, ((fixture[key].double() - e).abs().max().item() / scale, key))
    return worst


def step_grads(spec, G, D, mode, z=None, y=None, real=None, fake=None):
    """Gradients (name -> tensor, with the fixture's keys) of the G step (z, y given) or the D step (real, fake)."""
    grad = "grad" if mode == "train" else "eval.grad"
    G.train(mode == "train")
    D.train(mode == "train")
    for p in [*G.parameters(), *D.parameters()]:
        p.grad = None
    if z is not None:
        z = z.to(next(G.parameters()).dtype).clone().requires_grad_(True)
        images, _ = split(G(z.view(z.size(0), z.size(1), 1, 1), y))
        spec["g_loss"](split(D(images, y))[0]).backward()
        return {**{f"{grad}.{k}": p.grad for k, p in G.named_parameters()}, f"{grad}.z": z.grad}
    (xr, yr), (xf, yf) = real, fake
    xr = xr.to(next(D.parameters()).dtype).clone().requires_grad_(True)
    xf = xf.to(next(D.parameters()).dtype).clone().requires_grad_(True)
    spec["d_loss"](split(D(xr, yr))[0], split(D(xf, yf))[0]).backward()
    return {**{f"{grad}.{k}": p.grad for k, p in D.named_parameters()}, f"{grad}.x_real": nchw_to_nhwc(xr.grad),
            f"{grad}.x_fake": nchw_to_nhwc(xf.grad)}


def model_fixtures(name, seed):
    spec = CONDITIONAL_MODELS[name]
    out_dir = os.path.join(ROOT, "packages", name, "fixtures")
    torch.manual_seed(seed)
    G, D = build_conditional(name, Z_DIM, WIDTH, NUM_CLASSES)
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.gamma_embed.weight.normal_(1.0, 0.3)
                m.beta_embed.weight.normal_(0.0, 0.3)
    if name == "sagan":
        # Query/key weights larger than make_model_fixtures.py's, so that the maps are not uniform at this width.
        for net, gammas, scale in ((G, (0.8, -0.6), 0.5), (D, (0.7, 0.5), 1.0)):
            for attn, gamma in zip([net.self_attntion1, net.self_attntion2], gammas):
                liven_attention(attn, gamma, scale)
    meta = {"model": name, "image_size": WIDTH, "z_dim": Z_DIM, "batch": BATCH, "num_classes": NUM_CLASSES, "seed": seed,
            "torch": torch.__version__, "param_counts": json.dumps(param_counts(spec))}
    save(os.path.join(out_dir, "conditional-generator.init.safetensors"), G.state_dict(), meta)
    save(os.path.join(out_dir, "conditional-discriminator.init.safetensors"), D.state_dict(), meta)

    z = torch.randn(BATCH, Z_DIM)
    y = torch.tensor([2, 0, 2, 1])
    x_real = torch.rand(BATCH, 1, 64, 64) * 2 - 1
    x_fake = torch.tanh(torch.randn(BATCH, 1, 64, 64))
    y_real = torch.tensor([1, 3, 0, 1])
    y_fake = torch.tensor([2, 0, 2, 1])
    G0, D0 = copy.deepcopy(G), copy.deepcopy(D)
    g_fix = generator_fixture(spec, G, copy.deepcopy(D), z, y)
    d_fix = discriminator_fixture(spec, D, x_real, y_real, x_fake, y_fake)
    # A case where a ReLU / LeakyReLU input lies within float32 rounding of 0 takes the other slope in another
    # implementation (TypeScript's convolutions sum in another order): such a fixture would test rounding luck. So
    # each step is replayed in float64 from the initial weights (train mode first, as the fixture did, so that the
    # eval step sees the same buffers), and the fixture's float32 gradients must agree to 3e-5 (the tests allow
    # 1e-4; the sharp attention maps alone leave ~1e-5 between float32 and float64).
    for label, fix, run in (
        ("generator", g_fix, lambda g, d, mode: step_grads(spec, g, d, mode, z=z, y=y)),
        ("discriminator", d_fix, lambda g, d, mode: step_grads(spec, g, d, mode, real=(x_real, y_real), fake=(x_fake, y_fake))),
    ):
        g64, d64 = copy.deepcopy(G0).double(), copy.deepcopy(D0).double()
        for mode in ("train", "eval"):
            worst, key = float64_error(fix, run(g64, d64, mode))
            print(f"{name} {label} {mode}: float32 gradients within {worst:.1e} of float64 (largest: {key})")
            assert worst < 3e-5, f"{name} {label} {mode}: float32 and float64 gradients of {key} differ by {worst:.1e} (an activation at a kink?)"
    save(os.path.join(out_dir, "conditional-generator.parity.safetensors"), g_fix, meta)
    save(os.path.join(out_dir, "conditional-discriminator.parity.safetensors"), d_fix, meta)


FIXTURES = {
    "layers": layer_fixtures,
    "sagan": lambda: model_fixtures("sagan", 15),
    "dcgan": lambda: model_fixtures("dcgan", 16),
}

if __name__ == "__main__":
    for fixture in sys.argv[1:] or FIXTURES:
        FIXTURES[fixture]()
