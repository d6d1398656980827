"""Training the reference hair/eye classifier on a seeded split, with its held-out figures
and the real images' reference statistics."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cgan.core.errors import CganError
from cgan.core.image_tensors import to_input
from cgan.core.kernels import warm_up_math_kernels
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.tagged import TaggedImages
from cgan.evaluation.metrics import mean_pairwise_distance
from cgan.evaluation.tagnet import Classifier, TagNet, save_classifier
from cgan.release.manifest import register

REF_PER_TAG = 48  # images per tag for the reference spreads: enough for a stable mean distance
REF_FD = 10000  # images for the reference feature statistics


@dataclass
class ClassifierOptions:
    epochs: int = 12
    batch_size: int = 128
    lr: float = 4e-3  # peak of the one-cycle schedule; 12 epochs at 4e-3 made the release tagnet
    width: int = 16
    val_fraction: float = 0.1
    seed: int = 0


def split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices: a seeded permutation, so the split is recorded by (seed, fraction)."""
    perm = np.random.RandomState(seed).permutation(n)
    k = max(1, int(round(n * fraction))) if n > 1 else 0
    return np.sort(perm[k:]), np.sort(perm[:k])


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flips and small shifts only: colour is the label, so no colour jitter."""
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    dx, dy = (int(v) for v in torch.randint(-4, 5, (2,), generator=gen))
    x = F.pad(x, (4, 4, 4, 4), mode="replicate")
    return x[:, :, 4 + dy:4 + dy + 64, 4 + dx:4 + dx + 64]


def accuracy(clf: Classifier, images: np.ndarray, hair: np.ndarray, eyes: np.ndarray) -> dict:
    p = clf.predict(images)
    if not len(images):
        return {"hair": float("nan"), "eyes": float("nan"), "both": float("nan"), "n": 0}
    h, e = p.hair == hair, p.eyes == eyes
    return {"hair": float(h.mean()), "eyes": float(e.mean()), "both": float((h & e).mean()), "n": int(len(images))}


def reference_statistics(clf: Classifier, data: TaggedImages, seed: int = 0) -> dict:
    """What `cgan eval` compares generated images with: real images' feature statistics and per-tag spreads."""
    rng = np.random.RandomState(seed)
    idx = np.sort(rng.choice(len(data), min(REF_FD, len(data)), replace=False))
    feats = clf.predict(data.images[idx]).features
    per_tag: dict[str, list[float]] = {}
    keys = np.array([f"{HAIR_COLORS[h]}|{EYE_COLORS[e]}" for h, e in zip(data.hair, data.eyes)])
    for key in sorted(set(keys)):
        members = np.flatnonzero(keys == key)
        if len(members) < 2:
            continue
        pick = np.sort(rng.choice(members, min(REF_PER_TAG, len(members)), replace=False))
        imgs = data.images[pick]
        per_tag[str(key)] = [int(len(members)), mean_pairwise_distance(clf.predict(imgs).features),
                        mean_pairwise_distance(imgs.astype(np.float64))]
    pick = np.sort(rng.choice(len(data), min(256, len(data)), replace=False))
    return {"n": int(len(idx)), "mu": torch.from_numpy(feats.mean(0)), "sigma": torch.from_numpy(np.cov(feats, rowvar=False)),
            "per_tag": per_tag,
            "all": [int(len(data)), mean_pairwise_distance(clf.predict(data.images[pick]).features),
                    mean_pairwise_distance(data.images[pick].astype(np.float64))]}


def train_classifier(data: TaggedImages, out: str | Path, opts: ClassifierOptions,
                     log: Callable[[str], None] = print) -> Classifier:
    """Train on a seeded split of `data`, measure on the held-out part, save to `out`."""
    if len(data) < 10:
        raise CganError(f"{data.summary.get('data', 'data')}: {len(data)} images are too few to train a classifier")
    warm_up_math_kernels()  # see kernels.py: repeatable from one process to the next
    torch.manual_seed(opts.seed)
    gen = torch.Generator().manual_seed(opts.seed)
    tr, va = split(len(data), opts.val_fraction, opts.seed)
    net = TagNet(opts.width)
    opt = torch.optim.AdamW(net.parameters(), lr=opts.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(tr) / opts.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, opts.lr, total_steps=max(1, opts.epochs * steps_per_epoch))
    hair_t, eyes_t = torch.from_numpy(data.hair), torch.from_numpy(data.eyes)
    clf = Classifier(net)
    t0 = time.time()
    for epoch in range(opts.epochs):
        net.train()
        order = tr[torch.randperm(len(tr), generator=gen).numpy()]
        total = 0.0
        for i in range(0, len(order), opts.batch_size):
            b = order[i:i + opts.batch_size]
            x = _augment(to_input(data.images[b]), gen)
            lh, le = net(x)
            loss = F.cross_entropy(lh, hair_t[b], label_smoothing=0.05) + F.cross_entropy(le, eyes_t[b], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(b)
        acc = accuracy(clf, data.images[va], data.hair[va], data.eyes[va])
        log(f"epoch {epoch + 1}/{opts.epochs}: loss {total / len(tr):.3f}, held-out hair {acc['hair']:.1%} "
            f"eyes {acc['eyes']:.1%} both {acc['both']:.1%} ({time.time() - t0:.0f} s)")
    heldout = accuracy(clf, data.images[va], data.hair[va], data.eyes[va])
    clf.info = {
        "heldout": heldout,
        "split": {"seed": opts.seed, "fraction": opts.val_fraction, "train": int(len(tr)), "heldout": int(len(va)),
                  "heldout_ids": [data.records[i].id for i in va] if data.records else []},
        "data": data.summary,
        "options": vars(opts),
        "seconds": round(time.time() - t0, 1),
        "reference": reference_statistics(clf, data, opts.seed),
    }
    save_classifier(clf, out)
    clf.path = str(out)
    return clf


def register_classifier(name: str, path: Path, clf: Classifier, command: str) -> dict:
    """Add or replace release manifest entry `name` for a classifier file just trained."""
    return register(name, path, {"kind": "classifier", "trained_on": clf.info["data"].get("data"),
                                 "heldout": {k: round(v, 4) for k, v in clf.heldout.items()},
                                 "command": command, "train_seconds": clf.info["seconds"]})
