"""Which noise each image gets: one seed per image, its own RandomState, and the truncation trick.

Torch-free, so the numpy forward pass (numpy_generator.py) and the torch one (sampling.py) start
from the same float64 noise."""

from __future__ import annotations

import numpy as np

from cgan.core.errors import CganError, at
from cgan.course.tags import TagLine


def noise_rows(seeds: list[int], z_dim: int) -> np.ndarray:
    """(len(seeds), z_dim) float64: row i from RandomState(seeds[i]), as NVlabs' generate.py draws z."""
    return np.stack([np.random.RandomState(s).randn(z_dim) for s in seeds]) if seeds else np.zeros((0, z_dim))


def check_truncation(psi: float) -> float:
    """`psi`, or a CganError when it is no truncation (NaN, or outside 0..1)."""
    if not 0.0 <= psi <= 1.0:  # NaN fails too
        raise CganError(f"truncation {psi} is outside 0..1 (1: none; lower: nearer the typical image)")
    return psi


def truncate(z: np.ndarray, psi: float, keep: int = 0) -> np.ndarray:
    """The truncation trick as a noise scale: every component but the first `keep` (those a latent-codes
    G reads as its hair and eye codes, whose buckets must not move) times `psi`, pulling samples toward
    the generator's typical image: fewer odd ones, less variety. One correctly rounded multiply per
    component, so the noise is the same on every machine."""
    if check_truncation(psi) == 1.0:
        return z
    out = z.copy()
    out[:, keep:] *= psi
    return out


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
