"""Times the reference PyTorch training iteration (D step + G step) for `pnpm bench`.

usage: /usr/bin/python3 tools/bench/reference_step.py --model sagan --batch 64 --iters 5 --warmup 1 --threads 2
Prints one JSON line: {"model", "ms_per_iter" (median), "times_ms", "peak_rss_mb", "threads"}.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import reference  # noqa: E402 (tools/reference/reference.py: the article's models and loop, the repository's one copy)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["dcgan", "sagan"], required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--image-size", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g, d = reference.build(args.model, 20, args.image_size)
    g_opt, d_opt = reference.optimizers(args.model, g, d)
    imges = torch.rand(args.batch, 1, 64, 64) * 2 - 1
    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        reference.train_step(args.model, g, d, g_opt, d_opt, imges)
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"model": args.model, "ms_per_iter": statistics.median(times), "times_ms": times,
                      "peak_rss_mb": round(peak, 1), "threads": args.threads}))


if __name__ == "__main__":
    main()
