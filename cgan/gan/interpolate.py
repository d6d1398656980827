"""Interpolation strips: one noise walked to another under fixed tags, and one tag pair faded into another
under fixed noise, through the same pixel-exact path as `cgan generate`."""

from __future__ import annotations

import numpy as np
import torch

from cgan.core.errors import CganError
from cgan.core.pixels import Rendered
from cgan.course.tags import TagLine
from cgan.gan.conditioning import Conditioning
from cgan.gan.models import Generator
from cgan.gan.sampling import noise, render_codes


def slerp(a: torch.Tensor, b: torch.Tensor, t: np.ndarray) -> torch.Tensor:
    """Spherical interpolation of two noise vectors (rows for each t): Gaussian noise lives near a sphere,
    and a straight line between two points would pass through lower-norm, blurrier codes."""
    cos = torch.clamp((a @ b) / (a.norm() * b.norm()), -1.0, 1.0)
    omega = torch.arccos(cos)
    if float(omega) < 1e-6:
        return a.expand(len(t), -1).clone()
    t_ = torch.as_tensor(t, dtype=a.dtype)[:, None]
    return (torch.sin((1 - t_) * omega) * a + torch.sin(t_ * omega) * b) / torch.sin(omega)


def _code(cond: Conditioning, tag: TagLine | None) -> torch.Tensor | None:
    if not cond.conditional:
        return None
    if tag is None:
        raise CganError("a conditional model needs --tags for the strip")
    cond.check(tag, "--tags")
    return cond.encode_tags([tag])[0].double()


def noise_strip(G: Generator, cond: Conditioning, seed_a: int, seed_b: int, tag: TagLine | None,
                frames: int) -> Rendered:
    """`frames` images from seed_a's noise to seed_b's, under one tag pair (the ends are exactly the images
    `cgan generate` draws for those seeds)."""
    if cond.kind == "sentence":
        raise CganError("interpolate draws tag or unconditional models; give a sentence model prompts with generate")
    t = np.linspace(0.0, 1.0, frames)
    z = slerp(noise(seed_a, G.z_dim, torch.float64), noise(seed_b, G.z_dim, torch.float64), t)
    z[0], z[-1] = noise(seed_a, G.z_dim, torch.float64), noise(seed_b, G.z_dim, torch.float64)
    c = _code(cond, tag)
    return render_codes(G, z, None if c is None else c.expand(frames, -1))


def tag_strip(G: Generator, cond: Conditioning, seed: int, tag_a: TagLine, tag_b: TagLine, frames: int) -> Rendered:
    """`frames` images of one noise, its condition faded linearly from tag_a's code to tag_b's."""
    if not cond.conditional or cond.kind == "sentence":
        raise CganError("a tag strip needs a tag-conditioned model")
    a, b = _code(cond, tag_a), _code(cond, tag_b)
    t = torch.linspace(0.0, 1.0, frames, dtype=torch.float64)[:, None]
    z = noise(seed, G.z_dim, torch.float64).expand(frames, -1)
    return render_codes(G, z, (1 - t) * a + t * b)
