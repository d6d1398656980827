"""Pixels that come out the same on every machine: float64 on the CPU, one rounding, and its margin.

fp32 kernels are picked per instruction set (oneDNN, MKL, ATen's vectorised tanh) and add in other
orders, so the last bits of a float32 image differ between CPUs and rounding to uint8 flips the values
sitting nearest a .5 boundary. In float64 the same differences are ~1e-13 of a level, while the value
nearest a boundary is typically ~1e-6 from it: the rounding is then the same everywhere. The margin
(the smallest distance of any value to a boundary) says how safe one image is; below
PORTABLE_MARGIN it may round differently elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

EXACT_DTYPE = torch.float64

# Cross-machine float64 differences measured at <= 2e-13 levels; 1e-9 leaves 4 orders of magnitude.
PORTABLE_MARGIN = 1e-9


def levels(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> 0..255 levels, not yet rounded (float64 when x is)."""
    x = x.detach().cpu()
    return (x + 1.0) * 127.5 if x.dtype == torch.float64 else (x.float() + 1.0) * 127.5


def rounding_margin(v: torch.Tensor) -> torch.Tensor:
    """Per image (dim 0): the smallest distance, in levels, of any value to a rounding boundary (k + .5)
    that can change its uint8 value; values clamped to 0 or 255 whatever their last bits are ignored."""
    d = ((v - v.floor()) - 0.5).abs()
    d = torch.where((v > -0.5) & (v < 255.5), d, torch.full_like(d, float("inf")))
    return d.flatten(1).amin(1)


@dataclass
class Rendered:
    """NHWC uint8 images and, per image, its rounding margin in levels."""

    images: np.ndarray
    margins: np.ndarray

    @property
    def margin(self) -> float:
        return float(self.margins.min()) if len(self.margins) else float("inf")

    def unsafe(self) -> list[int]:
        """Indices of the images that may round differently on another machine."""
        return [int(i) for i in np.flatnonzero(self.margins < PORTABLE_MARGIN)]

    @staticmethod
    def concat(parts: list["Rendered"]) -> "Rendered":
        if not parts:
            return Rendered(np.zeros((0, 64, 64, 3), np.uint8), np.zeros(0))
        return Rendered(np.concatenate([p.images for p in parts]), np.concatenate([p.margins for p in parts]))


def render(x: torch.Tensor) -> Rendered:
    """NCHW output in [-1, 1] -> NHWC uint8 (round half to even, clamp), with each image's margin."""
    v = levels(x)
    images = v.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
    return Rendered(images, rounding_margin(v.double()).numpy())


def portability_warning(r: Rendered, names: list[str]) -> str | None:
    """One line naming the images too close to a rounding boundary (None when all are safe)."""
    bad = r.unsafe()
    if not bad:
        return None
    shown = ", ".join(f"{names[i]} ({r.margins[i]:.1e} levels)" for i in bad[:5])
    return (f"warning: {len(bad)} image(s) have a value within {PORTABLE_MARGIN:g} levels of a rounding boundary "
            f"and may differ by one level on another machine: {shown}{' ...' if len(bad) > 5 else ''}; "
            "another --seed gives other noise")
