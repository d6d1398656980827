"""Building a module only to load weights into it: its random initialisation skipped."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.init as init

# The random initialisers torch's layers and ours call; inside skip_init they zero the tensor instead
# (cheap, and finite: spectral norm's power iterations at registration then stay finite too).
_RANDOM = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
           "xavier_normal_", "orthogonal_")


def _zero(tensor: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    with torch.no_grad():  # as torch's initialisers: a parameter is filled in place
        return tensor.zero_()


@contextmanager
def skip_init() -> Iterator[None]:
    """Modules built inside start from zeros instead of random draws: for a module whose every weight is
    loaded next (a strict load_state_dict). Orthogonal initialisation alone is a QR per weight; a float64
    generator built to draw 25 images spent more time there than in its first image. Not thread-safe:
    torch.nn.init is patched for the duration."""
    saved = {name: getattr(init, name) for name in _RANDOM}
    try:
        for name in _RANDOM:
            setattr(init, name, _zero)
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)
