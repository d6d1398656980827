"""Images to and from torch tensors: uint8 NHWC arrays <-> the generator's NCHW floats in [-1, 1].

(torchvision does not import beside torch 2.13 here.)"""

from __future__ import annotations

import numpy as np
import torch

from cgan.core.pixels import render


def to_input(images: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """NHWC uint8 -> NCHW float in [-1, 1], the generator's range (to_uint8's inverse)."""
    # A read-only array (an upload's, a memory map's) is copied: torch warns on wrapping one.
    images = np.ascontiguousarray(images) if images.flags.writeable else np.array(images)
    return batch_to_input(torch.from_numpy(images).permute(0, 3, 1, 2), dtype)


def batch_to_input(images: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """NCHW uint8 (a batch indexed from the data set, on any device) -> float in [-1, 1]."""
    x = images.to(dtype)
    if x is images:  # already that dtype: never scale the caller's tensor in place
        return x.div(127.5).sub(1.0)
    return x.div_(127.5).sub_(1.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Generator output in [-1, 1], NCHW float -> NHWC uint8 (round half to even, clamp); float64 stays
    float64 up to the rounding."""
    return render(x).images
