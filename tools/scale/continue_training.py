"""Continues a toolkit run in PyTorch, on one process or many (DistributedDataParallel), and writes the weights back.

    # one process (CPU, or the first GPU)
    /usr/bin/python3 tools/scale/continue_training.py run.pth --data data/img_78 --steps 1000 --out continued.pth
    # 8 GPUs of one machine (NCCL); 2 CPU processes work the same way (gloo): --nproc_per_node 2
    torchrun --standalone --nproc_per_node 8 tools/scale/continue_training.py run.pth \
        --data data/img_78 --steps 1000 --out continued.pth
    # Debian 12's torchrun (PyTorch 1.13, Python 3.11) also needs --redirects 1 --tee 1 (docs/scale.md)

`run.pth` is what `gan export-torch RUN --out run.pth` writes, `{"generator": G, "discriminator": D}` state dicts of
tools/reference/reference.py's classes; the model (SAGAN if the state dict has attention layers, else DCGAN), `z_dim`
and the width (the article's `image_size`) are read from its shapes. `--out` gets the same layout, written by rank 0
atomically, for `gan import-torch continued.pth --model sagan --out RUN` (docs/scale.md has the whole path).

The loop is the article's `train_model` step (reference.train_step: a D step on real and fake images, then a G step),
with its losses and Adam settings (reference.optimizers), on every process; `--batch-size` is per process, so the
batch one step learns from is `--batch-size` x processes. What DistributedDataParallel changes, and how it is dealt
with here:

- Gradients: DDP averages them over the processes. Each process's hinge (or BCE) loss is a mean over its own batch
  and every process has the same batch size (drop_last), so the average is the gradient of the loss's mean over
  the whole global batch: the same step one process would take on all the images (BatchNorm aside, below).
- BatchNorm (the generators have it; the discriminators do not): per-process batch statistics, plain BatchNorm2d.
  SyncBatchNorm would normalise over the global batch, but it is CUDA-only in PyTorch 1.13 (the CPU/gloo path
  tested here could not use it), adds an all-reduce per BN layer per forward, and per-process statistics keep a
  process's step what the article trains (BN over the batch it generates). With --batch-size 64 per GPU every
  process normalises over the article's 64. The running mean/var are buffers: DDP broadcasts rank 0's before
  every forward (broadcast_buffers=True, the default), so what rank 0 saves are rank 0's running statistics.
- Spectral norm (SAGAN): `weight_u` / `weight_v` are buffers, updated by one power iteration in every training
  forward. They depend on the weights only, never on the data, so identical replicas compute identical u and v;
  broadcast_buffers keeps them so anyway. The check at the end compares weights and these buffers across ranks.
- Noise: z is drawn with seed `--seed` + rank, different on each process (the same z everywhere would make the
  extra processes repeat the same fakes). Initial weights need no seed: DDP copies rank 0's at start.
- The article's D step does not detach the fake images, so its backward also fills G's gradients, which the G
  step then zeroes. Here they are generated under no_grad instead (same D loss and gradients, no wasted G
  backward and no G all-reduce), and the G step's D forward runs under D's no_sync(): D's gradients from the G
  loss are discarded, so they need no all-reduce either.

Optimizer state: the Adam moments of the toolkit run are not in run.pth, so the optimizers start fresh (as after
any `load_state_dict` of the weights alone). `--optimizer-state FILE` keeps PyTorch's own between PyTorch runs.
Images: every .png/.jpg/.jpeg under `--data` (recursively, any ImageFolder layout), 64x64 grayscale, read with PIL,
else torchvision, else a minimal PNG reader (8-bit, non-interlaced), scaled to [-1, 1] as the article does.
"""
import argparse
import math
import os
import socket
import struct
import sys
import traceback
import zlib

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import reference  # noqa: E402

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def read_png(path):
    """A minimal PNG decoder: 8-bit gray, gray+alpha, RGB or RGBA, non-interlaced -> [H, W] uint8 tensor (gray)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG (install python3-pil to read other formats)")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced gray/RGB(A) PNGs are readable without python3-pil")
    raw, stride = zlib.decompress(b"".join(idat)), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    pixels = torch.frombuffer(bytearray(b"".join(rows)), dtype=torch.uint8).view(height, width, channels)
    if channels >= 3:  # ITU-R 601-2 luma, as PIL's convert("L")
        rgb = pixels[..., :3].to(torch.int32)
        return ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16).to(torch.uint8)
    return pixels[..., 0].clone()


def image_reader(name):
    """A function path -> [H, W] uint8 gray tensor: PIL if installed, else torchvision, else read_png."""
    if name in ("auto", "pil"):
        try:
            import numpy as np
            from PIL import Image
            return lambda path: torch.from_numpy(np.asarray(Image.open(path).convert("L"), dtype=np.uint8).copy())
        except ImportError:
            if name == "pil":
                raise
    if name in ("auto", "torchvision"):
        try:
            from torchvision.io import ImageReadMode, read_image
            return lambda path: read_image(path, ImageReadMode.GRAY)[0]
        except ImportError:
            if name == "torchvision":
                raise
    return read_png


class ImageFiles(Dataset):
    """Every image under `root`, sorted by path, as [1, 64, 64] float tensors in [-1, 1] (ToTensor, Normalize(0.5, 0.5))."""

    def __init__(self, root, reader):
        self.paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.lower().endswith(IMAGE_EXTENSIONS))
        if not self.paths:
            sys.exit(f"--data: no .png/.jpg images under {root}")
        self.reader = reader

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        gray = self.reader(self.paths[i])
        if tuple(gray.shape) != (64, 64):
            raise ValueError(f"{self.paths[i]} is {gray.shape[1]}x{gray.shape[0]}, the models take 64x64")
        return (gray.to(torch.float32) / 255.0 - 0.5).div(0.5).unsqueeze(0)


def model_of(generator_state):
    """(model, z_dim, width) of a generator state dict of reference.py's classes."""
    model = "sagan" if any(k.startswith("self_attntion1.") for k in generator_state) else "dcgan"
    first = "layer1.0.weight_orig" if model == "sagan" else "layer1.0.weight"
    if first not in generator_state:
        sys.exit(f"the generator has no {first}: not the article's {model} (reference.py has no class for the toolkit's variants)")
    return model, generator_state[first].shape[0], generator_state[first].shape[1] // 8


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def save_atomically(obj, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def replicas_agree(*modules):
    """True on every rank when all ranks hold rank 0's weights and spectral-norm buffers, bit for bit."""
    mine = torch.cat([t.detach().flatten().float() for m in modules for k, t in m.state_dict().items() if "running_" not in k and "num_batches" not in k])
    rank0 = mine.clone()
    dist.broadcast(rank0, 0)
    agree = torch.tensor([int(torch.equal(mine, rank0))], device=mine.device)
    dist.all_reduce(agree, op=dist.ReduceOp.MIN)
    return bool(agree.item())


def cpu_state(module):
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help='a .pth with {"generator", "discriminator"} state dicts (gan export-torch)')
    p.add_argument("--data", required=True, help="folder of 64x64 images (searched recursively)")
    p.add_argument("--steps", type=int, required=True, help="training steps (each a D step and a G step on every process)")
    p.add_argument("--out", required=True, help='where rank 0 writes {"generator", "discriminator"} (.pth)')
    p.add_argument("--batch-size", type=int, default=64, help="images per process and step (the article's: 64)")
    p.add_argument("--g-lr", type=float, help="generator learning rate (default: the article's 1e-4)")
    p.add_argument("--d-lr", type=float, help="discriminator learning rate (default: the article's 4e-4)")
    p.add_argument("--seed", type=int, default=0, help="seed of shuffling (shared) and noise (seed + rank)")
    p.add_argument("--optimizer-state", help="a file to load both Adam states from (if it exists) and save them to")
    p.add_argument("--reader", choices=["auto", "pil", "torchvision", "png"], default="auto", help="image decoder")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes per process")
    p.add_argument("--log-every", type=int, default=10, help="steps between loss lines (rank 0)")
    args = p.parse_args()
    if not os.path.isfile(args.checkpoint):
        sys.exit(f"{args.checkpoint}: no such file (write one with gan export-torch RUN --out FILE.pth)")
    if not os.path.isdir(args.data):
        sys.exit(f"--data: {args.data} is not a folder")

    # torchrun sets these; a plain `python3 continue_training.py` is a group of one.
    for key, value in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1")):
        os.environ.setdefault(key, value)
    if os.environ["WORLD_SIZE"] == "1":
        os.environ.setdefault("MASTER_PORT", str(free_port()))
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world, local_rank = dist.get_rank(), dist.get_world_size(), int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)

    state = torch.load(args.checkpoint, map_location="cpu", weights_only=True)  # tensors and containers only, no code
    if not isinstance(state, dict) or not {"generator", "discriminator"} <= state.keys():
        sys.exit(f'{args.checkpoint}: expected {{"generator", "discriminator"}} state dicts (gan export-torch writes them)')
    model, z_dim, width = model_of(state["generator"])
    g, d = reference.build(model, z_dim, width)
    for net, module in (("generator", g), ("discriminator", d)):
        try:
            module.load_state_dict(state[net], strict=True)
        except RuntimeError as e:  # missing, unexpected or mis-shaped keys: a variant of the article's model
            sys.exit(f"{args.checkpoint}: the {net} does not load into reference.py's {type(module).__name__}: {e}")
    g, d = g.to(device).train(), d.to(device).train()
    g_opt, d_opt = reference.optimizers(model, g, d)
    for opt, lr in ((g_opt, args.g_lr), (d_opt, args.d_lr)):
        for group in opt.param_groups:
            group["lr"] = lr if lr is not None else group["lr"]
    if args.optimizer_state and os.path.exists(args.optimizer_state):
        saved = torch.load(args.optimizer_state, map_location=device)  # this script's own file (floats: not weights_only in 1.13)
        g_opt.load_state_dict(saved["generator"])
        d_opt.load_state_dict(saved["discriminator"])
    ids = [local_rank] if cuda else None
    g_ddp, d_ddp = DDP(g, device_ids=ids, broadcast_buffers=True), DDP(d, device_ids=ids, broadcast_buffers=True)
    d_loss_of, g_loss_of = reference.MODELS[model]["d_loss"], reference.MODELS[model]["g_loss"]

    data = ImageFiles(args.data, image_reader(args.reader))
    if len(data) < args.batch_size * world:
        sys.exit(f"--data: {len(data)} images, fewer than one batch of {args.batch_size} for each of {world} processes")
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler, drop_last=True, num_workers=args.workers)
    noise = torch.Generator(device=device).manual_seed(args.seed + rank)
    if rank == 0:
        print(f"{model} z_dim={z_dim} width={width}: {world} process(es) on {device.type} ({dist.get_backend()}), "
              f"{len(data)} images, batch {args.batch_size} x {world}, {args.steps} steps", flush=True)

    step, epoch = 0, 0
    while step < args.steps:
        sampler.set_epoch(epoch)
        for real in loader:
            if step == args.steps:
                break
            real, n = real.to(device), real.shape[0]
            # D step (reference.train_step's first half)
            z = torch.randn(n, z_dim, 1, 1, generator=noise, device=device)
            with torch.no_grad():
                fake = reference.first(g_ddp(z))
            d_loss = d_loss_of(reference.first(d_ddp(real)), reference.first(d_ddp(fake)))
            g_opt.zero_grad()
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            # G step
            z = torch.randn(n, z_dim, 1, 1, generator=noise, device=device)
            with d_ddp.no_sync():
                g_loss = g_loss_of(reference.first(d_ddp(reference.first(g_ddp(z)))))
            g_opt.zero_grad()
            d_opt.zero_grad()
            g_loss.backward()
            g_opt.step()
            step += 1
            losses = torch.stack([d_loss.detach(), g_loss.detach()])
            dist.all_reduce(losses)
            d_mean, g_mean = (losses / world).tolist()
            if not (math.isfinite(d_mean) and math.isfinite(g_mean)):
                sys.exit(f"rank {rank}: the losses diverged at step {step} (D {d_mean}, G {g_mean})")
            if rank == 0 and (step % args.log_every == 0 or step == args.steps):
                print(f"step {step}/{args.steps} epoch {epoch}: D {d_mean:.4f} G {g_mean:.4f}", flush=True)
        epoch += 1

    # Every replica must hold the same weights and spectral-norm buffers (BatchNorm running stats are rank 0's).
    if not replicas_agree(g, d):
        sys.exit(f"rank {rank}: the replicas' weights differ after training")
    if rank == 0:
        save_atomically({"generator": cpu_state(g), "discriminator": cpu_state(d)}, args.out)
        if args.optimizer_state:
            save_atomically({"generator": g_opt.state_dict(), "discriminator": d_opt.state_dict()}, args.optimizer_state)
        print(f"wrote {args.out} ({model}, {args.steps} steps; replicas in sync)", flush=True)
    dist.barrier()
    print(f"rank {rank}/{world} done", flush=True)
    leave(0)


def leave(code):
    """Exits without Python's clean-up, while the DDP modules are still referenced: in PyTorch 1.13, freeing the
    last DDP reducer destroys the gloo process group with the GIL held, and its worker thread can be waiting for
    the GIL to free the last tensors (a deadlock at exit, seen here under load). Everything is written by then."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        main()
    except SystemExit as stop:  # sys.exit(message) or argparse; left from here, with main's frame still alive
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
        leave(stop.code if isinstance(stop.code, int) else 1)
    except BaseException:
        traceback.print_exc()
        leave(1)
