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
from typing import Any

import numpy as np

from cgan.core.words import count

# Cross-machine float64 differences measured at <= 2e-13 levels; 1e-9 leaves 4 orders of magnitude.
PORTABLE_MARGIN = 1e-9


def as_numpy(x: Any) -> np.ndarray:
    """A numpy array of `x`: an array as it is, a torch tensor (any device) copied to the host. Duck-typed,
    so this module needs no torch: the numpy forward pass renders through it too."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def levels(x: Any) -> np.ndarray:
    """Generator output in [-1, 1] -> 0..255 levels, not yet rounded: float64 when x is, else float32."""
    x = as_numpy(x)
    x = x if x.dtype == np.float64 else x.astype(np.float32)
    return (x + x.dtype.type(1.0)) * x.dtype.type(127.5)


def rounding_margin(v: np.ndarray) -> np.ndarray:
    """Per image (dim 0): the smallest distance, in levels, of any value to a rounding boundary (k + .5)
    that can change its uint8 value; values clamped to 0 or 255 whatever their last bits are ignored."""
    v = np.asarray(v, np.float64)
    d = np.abs((v - np.floor(v)) - 0.5)
    d = np.where((v > -0.5) & (v < 255.5), d, np.inf)
    return d.reshape(len(d), -1).min(1) if d.size else np.full(len(d), np.inf)


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


def render(x: Any) -> Rendered:
    """NCHW output in [-1, 1] (a torch tensor or numpy array) -> NHWC uint8 (round half to even, clamp),
    with each image's margin."""
    v = levels(x)
    images = np.ascontiguousarray(np.clip(np.rint(v), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1))
    return Rendered(images, rounding_margin(v))


def portability_warning(r: Rendered, names: list[str]) -> str | None:
    """One line naming the images too close to a rounding boundary (None when all are safe)."""
    bad = r.unsafe()
    if not bad:
        return None
    shown = ", ".join(f"{names[i]} ({r.margins[i]:.1e} levels)" for i in bad[:5])
    return (f"warning: {count(len(bad), 'image')} {'has' if len(bad) == 1 else 'have'} a value within {PORTABLE_MARGIN:g} levels of a rounding boundary "
            f"and may differ by one level on another machine: {shown}{' ...' if len(bad) > 5 else ''}; "
            "another --seed gives other noise")
