"""Times the reference PyTorch training iteration (D step + G step) for `pnpm bench`.

usage: /usr/bin/python3 tools/bench/reference_step.py --model sagan --batch 64 --iters 5 --warmup 1 --threads 2 \
           [--loop same|article] [--ceiling]
--loop same (default): PyTorch doing the same work as the toolkit's step: in the D step the fakes are detached (G's
  backward is not run), in the G step D's parameters do not require gradients (D's weight gradients are not computed;
  the gradient still flows through D to G). This is the anchor `pnpm bench` divides by.
--loop article: the article's train_model as written (tools/reference/reference.py's train_step), which computes
  those gradients and throws them away.
--ceiling: also time a 2048x2048 fp32 torch.mm (the machine's practical matmul GFLOP/s with these threads).
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


def flops_per_iter(g, d, batch, z_dim=20):
    """FLOPs (2 per multiply-add) of the same-gradients iteration, with a backward pass costing twice its forward
    (input and weight gradients) or once (input gradients only, D during the G step):
    D step: G forward + 2 D forwards x 3; G step: G forward x 3 + D forward x 2."""
    g_macs = forward_macs(g, torch.randn(batch, z_dim, 1, 1))
    d_macs = forward_macs(d, torch.randn(batch, 1, 64, 64))
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
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g, d = reference.build(args.model, 20, args.image_size)
    g_opt, d_opt = reference.optimizers(args.model, g, d)
    imges = torch.rand(args.batch, 1, 64, 64) * 2 - 1
    step = same_gradients_step if args.loop == "same" else reference.train_step
    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        step(args.model, g, d, g_opt, d_opt, imges)
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"model": args.model, "loop": args.loop, "ms_per_iter": statistics.median(times), "times_ms": times,
           "peak_rss_mb": round(peak, 1), "threads": args.threads,
           "gflop_per_iter": round(flops_per_iter(g, d, args.batch) / 1e9, 3)}
    if args.ceiling:
        out["ceiling_gflops"] = round(ceiling_gflops(), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
