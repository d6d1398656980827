"""The BigGAN generator's layout, shared by its torch module (biggan.py) and its numpy forward pass
(numpy_generator.py): how the noise is split, how a latent code is read, the channels per block."""

from __future__ import annotations

from statistics import NormalDist

ARCH = "biggan64"  # the name a checkpoint of this architecture records
CHUNKS = 5  # z chunks: the 4x4 input and four up-blocks
EMBED_DIM = 128  # G's shared condition embedding


def code_edges(k: int) -> list[float]:
    """Standard-normal quantiles that cut one noise component into k equally likely codes. Plain Python
    floats: the bucket a seed falls into is the same on every machine (a comparison, no libm)."""
    return [NormalDist().inv_cdf(i / k) for i in range(1, k)]


def channels(base: int) -> list[int]:
    """Channels at 4x4, then after each of the four up-blocks (8x8 .. 64x64)."""
    return [base * 8, base * 8, base * 4, base * 2, base]
