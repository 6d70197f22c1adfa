"""Whole-training-step trajectory fixtures: K iterations of the article's train_model, recorded for @gan/sagan.

    /usr/bin/python3 tools/parity/make_trajectory_fixtures.py

For DCGAN (BCE with logits) and SAGAN (hinge) it builds the reference pair with `reference.build`
(tools/reference/reference.py: the article's classes and `weights_init`, train mode) at a small width, the
optimizers with `reference.optimizers` (Adam, g_lr 1e-4, d_lr 4e-4, betas (0, 0.9)) and runs
`reference.train_step` (one iteration of the article's loop: the D step, then the G step) K = 4 times on fixed
real batches of digits from `data/img_78` (the article's ToTensor + Normalize(0.5, 0.5)), the last batch smaller
as an epoch's tail. `torch.randn` is wrapped while `train_step` runs, so the loop stays verbatim and every latent
code it draws is recorded. It writes `packages/sagan/fixtures/trajectory-<model>.safetensors` holding:

- `G.init.<name>`, `D.init.<name>`: the state dicts before training, with PyTorch's names (the toolkit's:
  `layer1.0.weight_orig`, `layer1.0.weight_u`, `layer1.1.num_batches_tracked`, `self_attntion1.gamma`, ...);
- `real.<t>`: the real batch of iteration t (1-based), NHWC `[B, 64, 64, 1]`;
- `z.<t>.d`, `z.<t>.g`: the latent codes `[B, z_dim]` the D step and the G step of iteration t drew;
- `d_loss`, `g_loss`: `[K]`, what `train_step` returned;
- `G.after<t>.<name>`, `D.after<t>.<name>` for t = 1 and K: the whole state dicts (parameters, BatchNorm
  running statistics and `num_batches_tracked`, spectral-norm `u`/`v`, attention `gamma`) after iteration t;
- `flat.<t>.D.<name>` after the D step and `flat.<t>.G.<name>` after the G step of every iteration t: the
  parameters the losses are flat in (see `flat_parameters`), whose updates are rounding noise magnified by Adam.

SAGAN's attention: in each net one block is "livened" as in make_model_fixtures.py (`common.liven_attention`:
gamma non-zero, larger query/key/value weights: the attention changes the output from the first step), and the
other keeps `weights_init`'s gamma = 0 (as real training starts) with larger query/key/value weights, so that
the test also covers gamma leaving 0 through Adam and the attention weights starting to receive gradients.

Widths: DCGAN 4 (0.66 MB), SAGAN 8, the smallest its generator allows (1.7 MB: three state dicts of 0.47 MB).
For the hinge loss the script asserts that every logit of the D steps stays inside the margin (what makes the
last bias and value bias flat), and it prints, per iteration, the ReLU/LeakyReLU input closest to the kink
relative to its tensor (`watch_kinks`): an implementation whose rounding differs may take the other slope there.
The wrappers and hooks only read; the numbers are those of the plain loop.

Deterministic (fixed seeds, one thread): a rerun on the same machine rewrites byte-identical files (the digits
go through the system's libjpeg, so another PIL/libjpeg build may decode them slightly differently; the test
reads whatever the fixture holds). Checked by packages/sagan/src/trajectory-parity.test.ts.
"""
import os
import sys

import numpy as np
import torch
from PIL import Image

from common import liven_attention, nchw_to_nhwc, save_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import reference  # noqa: E402

OUT = os.path.join(ROOT, "packages", "sagan", "fixtures")
DATA = os.path.join(ROOT, "data", "img_78")
Z_DIM = 20
BATCHES = [4, 4, 4, 3]  # K = 4 iterations; the last batch is an epoch's smaller tail
SNAPSHOTS = [1, len(BATCHES)]
MODELS = {
    # width: the reference's `image_size` (a width multiplier, 64 in the article). SAGAN needs width >= 8: its
    # generator's second attention block has `width // 8` query/key channels.
    "dcgan": dict(width=4, seed=11),
    "sagan": dict(width=8, seed=12),
}


def digits(count):
    """`count` digits of data/img_78 (7s and 8s alternating), as the article's ImageTransform makes them."""
    files = sorted(os.listdir(DATA))
    sevens = [f for f in files if f.startswith("img_7_")]
    eights = [f for f in files if f.startswith("img_8_")]
    chosen = [f for pair in zip(sevens, eights) for f in pair][:count]
    arrays = [np.asarray(Image.open(os.path.join(DATA, f)).convert("L"), dtype=np.float32) / 255.0 for f in chosen]
    x = torch.from_numpy(np.stack(arrays)[:, None])
    return (x - 0.5) / 0.5


def state(prefix, module):
    return {f"{prefix}.{k}": v.detach().clone() for k, v in module.state_dict().items()}


def flat_parameters(model, g, d):
    """The parameters each loss is flat in (zero gradient in exact arithmetic): their updates are rounding noise,
    which Adam (beta1 = 0: a step of about lr * g / |g|) turns into steps of up to lr in either direction, in
    PyTorch as in any other implementation. Recorded after every step so that the test can put PyTorch's values
    back and keep their side effects (BatchNorm running means, a constant shift of D's logits) out of the
    comparison of everything else. Per net: the generator's convolution biases right before BatchNorm (it
    subtracts the batch mean); every attention block's query bias (the softmax runs over the query axis, so a
    per-key constant cancels); for the hinge loss while every logit is inside the margin, the directions that
    shift all of D's logits by one constant (the real and fake terms cancel): the last bias, and the value bias of
    the attention block right before the last convolution (it adds gamma * bias at every position)."""
    flat_g = [f"layer{i}.0.bias" for i in range(1, 5)]
    flat_d = []
    if model == "sagan":
        flat_g += [f"self_attntion{i}.query_conv.bias" for i in (1, 2)]
        flat_d += [f"self_attntion{i}.query_conv.bias" for i in (1, 2)]
        flat_d += ["self_attntion2.value_conv.bias", "last.bias"]
    params_g, params_d = dict(g.named_parameters()), dict(d.named_parameters())
    return {"G": {k: params_g[k] for k in flat_g}, "D": {k: params_d[k] for k in flat_d}}


class watch_kinks:
    """Forward pre-hooks (they change nothing) on every ReLU and LeakyReLU: `pop()` returns the smallest
    |input| / max |input of that call| since the last pop, `where` the module and call. An input within rounding
    of 0 takes either slope depending on the last bits, and that changes one channel's gradient (~1e-5 of the
    weights after the next steps): a backend whose rounding differs from PyTorch's can land on the other side."""

    def __init__(self, g, d):
        self.smallest, self.where, self.calls = float("inf"), "", 0
        for net, module in (("G", g), ("D", d)):
            for name, m in module.named_modules():
                if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)):
                    m.register_forward_pre_hook(lambda m, inputs, label=f"{net}.{name}": self.see(label, inputs[0]))

    def see(self, label, x):
        self.calls += 1
        x = x.detach().abs()
        margin = float(x.min() / x.max())
        if margin < self.smallest:
            self.smallest, self.where = margin, f"{label}, call {self.calls}"

    def pop(self):
        smallest, self.smallest, self.calls = self.smallest, float("inf"), 0
        return smallest


def recorded_step(model, g, d, g_opt, d_opt, x, after_d_step):
    """reference.train_step with torch.randn wrapped: returns (d_loss, g_loss, [z of the D step, z of the G step]).
    `after_d_step()` runs when the G step draws its z, i.e. between the D step and the G step."""
    drawn = []
    randn = torch.randn

    def recording_randn(*args, **kwargs):
        if len(drawn) == 1:
            after_d_step()
        t = randn(*args, **kwargs)
        drawn.append(t.detach().clone())
        return t

    torch.randn = recording_randn
    try:
        d_loss, g_loss = reference.train_step(model, g, d, g_opt, d_opt, x, Z_DIM)
    finally:
        torch.randn = randn
    assert len(drawn) == 2 and all(z.shape == (x.shape[0], Z_DIM) for z in drawn), [z.shape for z in drawn]
    return d_loss, g_loss, drawn


def make(model, width, seed, images):
    torch.manual_seed(seed)
    g, d = reference.build(model, Z_DIM, width)
    if model == "sagan":
        liven_attention(g.self_attntion1, 0.8, 0.2)
        liven_attention(g.self_attntion2, 0.0, 0.2)
        liven_attention(d.self_attntion1, 0.0, 0.5)
        liven_attention(d.self_attntion2, 0.6, 0.5)
    g_opt, d_opt = reference.optimizers(model, g, d)
    out = {**state("G.init", g), **state("D.init", d)}
    flat = flat_parameters(model, g, d)
    logits = []  # D's outputs, by a forward hook (it changes nothing): checks the hinge margin claim below
    d.last.register_forward_hook(lambda module, inputs, output: logits.append(output.detach().view(-1)))
    kinks = watch_kinks(g, d)
    d_losses, g_losses = [], []
    start = 0
    for t, size in enumerate(BATCHES, 1):
        x = images[start:start + size]
        start += size

        def record_flat(net, t=t):
            out.update({f"flat.{t}.{net}.{k}": p.detach().clone() for k, p in flat[net].items()})

        d_loss, g_loss, (z_d, z_g) = recorded_step(model, g, d, g_opt, d_opt, x, lambda: record_flat("D"))
        record_flat("G")
        real_logits, fake_logits = logits[-3], logits[-2]  # the D step's two forwards (the G step's is last)
        if model == "sagan":
            assert (real_logits < 1).all() and (fake_logits > -1).all(), "a logit left the hinge margin"
        out[f"real.{t}"] = nchw_to_nhwc(x)
        out[f"z.{t}.d"] = z_d
        out[f"z.{t}.g"] = z_g
        d_losses.append(d_loss)
        g_losses.append(g_loss)
        if t in SNAPSHOTS:
            out.update(state(f"G.after{t}", g))
            out.update(state(f"D.after{t}", d))
        print(f"{model} iteration {t}: d_loss {d_loss:.6f}, g_loss {g_loss:.6f}; the input closest to a (Leaky)ReLU "
              f"kink: {kinks.pop():.2e} relative ({kinks.where})")
    out["d_loss"] = torch.tensor(d_losses, dtype=torch.float32)
    out["g_loss"] = torch.tensor(g_losses, dtype=torch.float32)
    meta = {"model": model, "image_size": width, "z_dim": Z_DIM, "batches": ",".join(map(str, BATCHES)),
            "snapshots": ",".join(map(str, SNAPSHOTS)), "seed": seed, "torch": torch.__version__}
    path = os.path.join(OUT, f"trajectory-{model}.safetensors")
    save_safetensors(path, out, metadata=meta)
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path) / 1e6:.2f} MB")


def main():
    torch.set_num_threads(1)
    images = digits(sum(BATCHES))
    for model, spec in MODELS.items():
        make(model, spec["width"], spec["seed"], images)


if __name__ == "__main__":
    main()
