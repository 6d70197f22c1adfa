"""Trains the article's PyTorch DCGAN or SAGAN (tools/reference/reference.py, verbatim) on an image folder and
writes generated samples for scoring by tools/metrics/reference-comparison.mjs.

    /usr/bin/python3 tools/metrics/reference_samples.py --model sagan --data data/img_78 \
        --iterations 700 --every 140 --width 16 --batch-size 16 --out runs/reference-sagan

The loop is the article's train_model (D step then G step per mini-batch, Adam g_lr 1e-4, d_lr 4e-4, betas
(0, 0.9), BCE-with-logits for DCGAN, hinge for SAGAN), its data pipeline (PIL, ToTensor, Normalize(0.5, 0.5),
DataLoader shuffle=True, the last batch smaller), and `--width` is its `image_size` (64 in the article).
Every `--every` iterations (and after the last) it writes `samples-<iteration>.safetensors`: `--n` images
drawn with G.eval() as the article draws them, as one float32 tensor `images` of shape [n, 64, 64, 1] in
[-1, 1] (NHWC, the layout the toolkit uses), plus `log.jsonl` with losses and wall-clock seconds.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
from common import save_safetensors  # noqa: E402
from reference import build, first, optimizers, train_step  # noqa: E402


def load_folder(folder):
    """The article's ImageTransform: ToTensor then Normalize((0.5,), (0.5,)), on every .jpg/.png in the folder."""
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        sys.exit(f"--data: no .jpg or .png images in {folder}")
    arrays = []
    for f in files:
        a = np.asarray(Image.open(os.path.join(folder, f)).convert("L"), dtype=np.float32) / 255.0
        if a.shape != (64, 64):
            sys.exit(f"--data: {f} is {a.shape[1]}x{a.shape[0]}, expected 64x64")
        arrays.append(a)
    x = torch.from_numpy(np.stack(arrays)[:, None])
    return (x - 0.5) / 0.5


def sample(g, n, seed, z_dim=20):
    g.eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        z = torch.randn(n, z_dim, generator=gen).view(n, z_dim, 1, 1)
        images = torch.cat([first(g(z[i:i + 100])) for i in range(0, n, 100)])
    g.train()
    return images.permute(0, 2, 3, 1).contiguous()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["dcgan", "sagan"], required=True)
    p.add_argument("--data", default="data/img_78")
    p.add_argument("--iterations", type=int, required=True)
    p.add_argument("--every", type=int, default=0, help="write samples every this many iterations too")
    p.add_argument("--width", type=int, default=64, help="the article's image_size")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    images = load_folder(a.data)
    loader = torch.utils.data.DataLoader(images, batch_size=a.batch_size, shuffle=True)
    g, d = build(a.model, 20, a.width)
    g_opt, d_opt = optimizers(a.model, g, d)
    log = open(os.path.join(a.out, "log.jsonl"), "w")
    iteration, seconds = 0, 0.0
    while iteration < a.iterations:
        for batch in loader:
            t0 = time.perf_counter()
            d_loss, g_loss = train_step(a.model, g, d, g_opt, d_opt, batch)
            seconds += time.perf_counter() - t0
            iteration += 1
            log.write(json.dumps({"iteration": iteration, "d_loss": d_loss, "g_loss": g_loss, "train_seconds": round(seconds, 3)}) + "\n")
            log.flush()
            if iteration == a.iterations or (a.every and iteration % a.every == 0):
                path = os.path.join(a.out, f"samples-{iteration}.safetensors")
                save_safetensors(path, {"images": sample(g, a.n, a.seed + 1)},
                                 {"model": a.model, "iterations": iteration, "width": a.width, "batch_size": a.batch_size,
                                  "train_seconds": round(seconds, 3), "torch": torch.__version__})
                print(f"{a.model} iteration {iteration}: d_loss {d_loss:.4f} g_loss {g_loss:.4f}, {seconds:.0f} s -> {path}", flush=True)
            if iteration == a.iterations:
                break
    log.close()


if __name__ == "__main__":
    main()
