"""Times the reference PyTorch training iteration (D step + G step) for `pnpm bench`.

usage: /usr/bin/python3 tools/bench/reference_step.py --model sagan --batch 64 --iters 5 --warmup 1 --threads 2 \
           [--loop same|article] [--ceiling] [--side 32|64|128]
--loop same (default): PyTorch doing the same work as the toolkit's step: in the D step the fakes are detached (G's
  backward is not run), in the G step D's parameters do not require gradients (D's weight gradients are not computed;
  the gradient still flows through D to G). This is the anchor `pnpm bench` divides by.
--loop article: the article's train_model as written (tools/reference/reference.py's train_step), which computes
  those gradients and throws them away.
--ceiling: also time a 2048x2048 fp32 torch.mm (the machine's practical matmul GFLOP/s with these threads).
--side: the image side. Without it, the article's nets (64x64). With it, `scaled_nets`: the article's blocks
  stacked from 4x4 to the side (tools/bench/scaled-nets.mjs builds the same nets for our step).
Prints one JSON line: {"model", "loop", "ms_per_iter" (median), "times_ms", "peak_rss_mb", "threads",
"gflop_per_iter" (the same-gradients step's multiply-adds x 2, counted with forward hooks; see flops_per_iter),
"ceiling_gflops"}.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import reference  # noqa: E402 (tools/reference/reference.py: the article's models and loop, the repository's one copy)


def same_gradients_step(model, g, d, g_opt, d_opt, imges, z_dim=20):
    """The article's D step then G step, computing only the gradients each step uses (as the toolkit's step does)."""
    d_loss_of, g_loss_of = reference.MODELS[model]["d_loss"], reference.MODELS[model]["g_loss"]
    b = imges.size()[0]
    d_out_real = reference.first(d(imges))
    with torch.no_grad():
        fake_images = reference.first(g(torch.randn(b, z_dim, 1, 1)))
    d_out_fake = reference.first(d(fake_images))
    d_loss = d_loss_of(d_out_real, d_out_fake)
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()

    d.requires_grad_(False)
    fake_images = reference.first(g(torch.randn(b, z_dim, 1, 1)))
    g_loss = g_loss_of(reference.first(d(fake_images)))
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    d.requires_grad_(True)
    return d_loss.item(), g_loss.item()


def channels_at(resolution):
    """Channels of a hidden block at `resolution` in the scaled nets: the article's 512 at 4x4, halving as the
    side doubles (4: 512, 8: 256, 16: 128, 32: 64, 64: 32), so each added block costs about as much as another."""
    return 512 * 4 // resolution


def run_blocks(net, x):
    """The scaled nets' forward: each block, then the attention at its output's side if there is one, then `last`;
    the attention maps after the output, as the article's models return them."""
    out, maps = x, []
    for block in net.blocks:
        out = block(out)
        if str(out.shape[2]) in net.attentions:
            out, m = net.attentions[str(out.shape[2])](out)
            maps.append(m)
    return (net.last(out), *maps) if maps else net.last(out)


def generator_attention_at(side):
    """Where the scaled SAGAN generator attends: after its two last hidden blocks (side/4 and side/2, the article's
    layers 3 and 4 at side 64), but at most 16x16 and 32x32: at 128 attention at 64x64 would hold [64, 4096, 4096]
    maps, which PyTorch needs >16 GB and minutes per iteration for."""
    return (min(side // 4, 16), min(side // 2, 32))


class ScaledGenerator(nn.Module):
    """The article's generator for `side` x `side` images: a transposed convolution 1 -> 4x4, then one stride-2
    block per doubling up to side/2, then the article's last block to 1 channel and tanh. SAGAN: spectral norm on
    the hidden blocks and Self_Attention after the blocks of `generator_attention_at`. At side 64 it is the
    article's net, layer for layer."""

    def __init__(self, side, sagan, z_dim=20):
        super().__init__()
        sn = nn.utils.spectral_norm if sagan else (lambda m: m)
        layers = [nn.Sequential(sn(nn.ConvTranspose2d(z_dim, channels_at(4), 4, stride=1)), nn.BatchNorm2d(channels_at(4)), nn.ReLU(inplace=True))]
        self.attend_after = []
        r = 8
        while r <= side // 2:
            c_in, c_out = channels_at(r // 2), channels_at(r)
            layers.append(nn.Sequential(sn(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)))
            r *= 2
        self.blocks = nn.ModuleList(layers)
        self.attentions = nn.ModuleDict()
        if sagan:
            for res in generator_attention_at(side):
                self.attentions[str(res)] = reference.Self_Attention(channels_at(res))
        self.last = nn.Sequential(nn.ConvTranspose2d(channels_at(side // 2), 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z):
        return run_blocks(self, z)


class ScaledDiscriminator(nn.Module):
    """The article's discriminator for `side` x `side` images: stride-2 convolutions with LeakyReLU(0.1) from the
    side down to 4x4 (channels as the generator's at each resolution), then the article's last convolution to a
    1x1 logit; SAGAN: spectral norm and Self_Attention after the blocks at 8x8 and 4x4 (the article's layers 3 and 4)."""

    def __init__(self, side, sagan):
        super().__init__()
        sn = nn.utils.spectral_norm if sagan else (lambda m: m)
        layers, c_in, r = [], 1, side // 2
        while r >= 4:
            layers.append(nn.Sequential(sn(nn.Conv2d(c_in, channels_at(r), 4, stride=2, padding=1)), nn.LeakyReLU(0.1, inplace=True)))
            c_in, r = channels_at(r), r // 2
        self.blocks = nn.ModuleList(layers)
        self.attentions = nn.ModuleDict({str(res): reference.Self_Attention(channels_at(res)) for res in (8, 4)} if sagan else {})
        self.last = nn.Conv2d(channels_at(4), 1, 4, stride=1)

    def forward(self, x):
        return run_blocks(self, x)


def scaled_nets(model, side):
    """Generator and discriminator of `model` for `side` x `side` images, initialised as the article's."""
    sagan = model == "sagan"
    g, d = ScaledGenerator(side, sagan), ScaledDiscriminator(side, sagan)
    g.apply(reference.weights_init)
    d.apply(reference.weights_init)
    return g, d


def forward_macs(net, x):
    """Multiply-adds of one forward: convolutions, transposed convolutions, linear layers and attention bmm's."""
    total = [0]

    def conv_hook(m, inp, out):
        k = m.weight.shape  # conv: [out, in/groups, kh, kw]; conv-transpose: [in, out/groups, kh, kw]
        if isinstance(m, nn.ConvTranspose2d):
            total[0] += inp[0].numel() * k[1] * k[2] * k[3]  # every input value scatters into out*kh*kw outputs
        else:
            total[0] += out.numel() * k[1] * k[2] * k[3]  # every output value gathers in*kh*kw inputs

    handles = [m.register_forward_hook(conv_hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    orig_bmm = torch.bmm

    def counting_bmm(a, b):
        total[0] += a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        return orig_bmm(a, b)

    torch.bmm = counting_bmm
    try:
        with torch.no_grad():
            net(x)
    finally:
        torch.bmm = orig_bmm
        for h in handles:
            h.remove()
    return total[0]


def flops_per_iter(g, d, batch, side=64, z_dim=20):
    """FLOPs (2 per multiply-add) of the same-gradients iteration, with a backward pass costing twice its forward
    (input and weight gradients) or once (input gradients only, D during the G step):
    D step: G forward + 2 D forwards x 3; G step: G forward x 3 + D forward x 2."""
    g_macs = forward_macs(g, torch.randn(batch, z_dim, 1, 1))
    d_macs = forward_macs(d, torch.randn(batch, 1, side, side))
    return 2 * (g_macs + 6 * d_macs + 3 * g_macs + 2 * d_macs)


def ceiling_gflops(n=2048, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["dcgan", "sagan"], required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--image-size", type=int, default=64)
    ap.add_argument("--loop", choices=["same", "article"], default="same")
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--side", type=int, choices=[32, 64, 128])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    side = args.side or 64
    g, d = scaled_nets(args.model, side) if args.side else reference.build(args.model, 20, args.image_size)
    g_opt, d_opt = reference.optimizers(args.model, g, d)
    imges = torch.rand(args.batch, 1, side, side) * 2 - 1
    step = same_gradients_step if args.loop == "same" else reference.train_step
    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        step(args.model, g, d, g_opt, d_opt, imges)
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"model": args.model, "side": side, "params": sum(p.numel() for p in [*g.parameters(), *d.parameters()]), "loop": args.loop, "ms_per_iter": statistics.median(times), "times_ms": times,
           "peak_rss_mb": round(peak, 1), "threads": args.threads,
           "gflop_per_iter": round(flops_per_iter(g, d, args.batch, side) / 1e9, 3)}
    if args.ceiling:
        out["ceiling_gflops"] = round(ceiling_gflops(), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
