"""Sampling with one seed per image: an image never depends on batch size, order or file length."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils import parametrize

from cgan.core.errors import CganError, at
from cgan.core.pixels import Rendered, render
from cgan.course.tags import TagLine
from cgan.gan.conditioning import Conditioning
from cgan.gan.models import Generator


def noise(seed: int, z_dim: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """z for one image, from its own RandomState (as NVlabs' generate.py does); RandomState draws
    float64, kept as such for a float64 generator."""
    return torch.from_numpy(np.random.RandomState(seed).randn(z_dim)).to(dtype)


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


def generate(G: Generator, cond: Conditioning, seeds: list[int], tags: list[TagLine] | None = None,
             path: str = "<tags>", codes: torch.Tensor | None = None) -> np.ndarray:
    """NHWC uint8 images, one per seed (and per tag line, or row of `codes`, when conditional)."""
    return generate_rendered(G, cond, seeds, tags, path, codes).images


def generate_rendered(G: Generator, cond: Conditioning, seeds: list[int], tags: list[TagLine] | None = None,
                      path: str = "<tags>", codes: torch.Tensor | None = None) -> Rendered:
    """`generate` with each image's rounding margin. Computes in G's dtype on G's device: a loaded
    generator is float64 on the CPU (gan.build.load_generator), so the pixels are the same on every
    machine; each image is its own forward pass, so none depends on the others."""
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
    zs = torch.stack([noise(seed, G.z_dim, torch.float64) for seed in seeds]) if seeds else torch.zeros(0, G.z_dim)
    return render_codes(G, zs, c_all if cond.conditional else None)


@torch.no_grad()
def render_codes(G: Generator, z: torch.Tensor, c: torch.Tensor | None = None) -> Rendered:
    """Images from explicit noise rows `z` (and condition rows `c`), one forward pass each, in G's dtype
    on G's device: the path `generate` and the interpolation strips share. Each spectrally normalised
    weight is computed once for all the images (the same values every pass would compute)."""
    was_training = G.training
    G.eval()
    p = next(G.parameters())
    out = []
    try:
        with parametrize.cached():
            for i in range(len(z)):
                ci = c[i:i + 1].to(p.device, p.dtype) if c is not None else None
                out.append(render(G(z[i:i + 1].to(p.device, p.dtype), ci)))
    finally:
        G.train(was_training)
    return Rendered.concat(out)


def preview_tags(cond: Conditioning, n: int = 25) -> list[TagLine]:
    """Fixed tags for the per-epoch grids: n pairs spread evenly over the training vocabulary."""
    k = len(cond.pairs)
    return [TagLine(str(i), *cond.pairs[(i * k) // n % k]) for i in range(n)]
