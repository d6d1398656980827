"""Sampling with one seed per image: an image never depends on batch size, order or file length."""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch

from cgan.conditioning import Conditioning
from cgan.errors import CganError, at
from cgan.images import to_uint8
from cgan.models import Generator
from cgan.tags import TagLine


def noise(seed: int, z_dim: int) -> torch.Tensor:
    """z for one image, from its own RandomState (as NVlabs' generate.py does)."""
    return torch.from_numpy(np.random.RandomState(seed).randn(z_dim).astype(np.float32))


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run with one intra-op thread: float sums then happen in one order, whatever the core count."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def tag_seeds(tags: list[TagLine], base_seed: int, path: str = "<tags>") -> list[int]:
    """Line i's seed is base seed + its id, so it is the same image whatever else the file holds."""
    seeds = []
    for t in tags:
        try:
            seeds.append(base_seed + int(t.id))
        except ValueError:
            raise CganError(f"{at(path, t.line)}: id {t.id!r} must be an integer (it seeds the image's noise)") from None
        if not 0 <= seeds[-1] < 2**32:
            raise CganError(f"{at(path, t.line)}: seed {seeds[-1]} (base seed + id) is outside 0..2**32-1")
    return seeds


@torch.no_grad()
def generate(G: Generator, cond: Conditioning, seeds: list[int], tags: list[TagLine] | None = None,
             path: str = "<tags>", codes: torch.Tensor | None = None) -> np.ndarray:
    """NHWC uint8 images, one per seed (and per tag line, or row of `codes`, when conditional), on the CPU."""
    if codes is not None:
        if len(codes) != len(seeds):
            raise CganError("one condition code per image is needed")
        c_all = codes
    elif cond.conditional:
        if tags is None or len(tags) != len(seeds):
            raise CganError("a conditional model needs one tag line per image")
        for t in tags:
            cond.check(t, at(path, t.line))
        c_all = cond.encode_tags(tags)
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    out = []
    try:
        with single_thread():
            for i, seed in enumerate(seeds):
                z = noise(seed, G.z_dim)[None].to(device)
                c = c_all[i:i + 1].to(device) if cond.conditional else None
                out.append(to_uint8(G(z, c)))
    finally:
        G.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 64, 64, 3), np.uint8)


def preview_tags(cond: Conditioning, n: int = 25) -> list[TagLine]:
    """Fixed tags for the per-epoch grids: n pairs spread evenly over the training vocabulary."""
    k = len(cond.pairs)
    return [TagLine(str(i), *cond.pairs[(i * k) // n % k]) for i in range(n)]
