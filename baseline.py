"""Helpers for students' own code, in the layout the graders expect.

    from baseline import save_imgs
    save_imgs(generated, "samples/cgan.png")   # 25 images -> 320x320 PNG, 5 per row

`images` may be uint8 (N, 64, 64, 3), or float in [-1, 1] (tanh output) or [0, 1], channels last
or first (a torch tensor is fine). The PNG is written atomically and is byte-identical for
identical pixels.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cgan.core.images import as_uint8_images, save_grid  # noqa: E402


def save_imgs(images, path: str | Path = "samples/cgan.png") -> Path:
    """Save images as one PNG grid: 64x64 tiles, 5 per row, row-major, no padding."""
    save_grid(as_uint8_images(images), path)
    return Path(path)


if __name__ == "__main__":
    print(__doc__)
