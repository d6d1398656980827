"""Generated images as the API returns them: uint8 pixels, a tensor view, PIL images, a grid file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cgan.core.image_tensors import to_input
from cgan.core.images import GRID_COLS, make_grid, save_grid


@dataclass
class Images:
    """N images of 64x64 RGB. `array` holds the pixels the PNG gets (NHWC uint8); `seeds` the seed of
    each; `labels` what each was asked for (a tag pair, a prompt, or '' for an unconditional model)."""

    array: np.ndarray
    seeds: list[int]
    labels: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.array)

    @property
    def tensor(self) -> torch.Tensor:
        """N x 3 x 64 x 64 float32 in [-1, 1]: what the discriminators and classifiers take."""
        return to_input(self.array)

    def pil(self) -> list[Image.Image]:
        """One PIL image per sample."""
        return [Image.fromarray(a) for a in self.array]

    def grid(self, cols: int = GRID_COLS) -> Image.Image:
        """All images in one picture, `cols` per row (the homework's 5 by default)."""
        return Image.fromarray(make_grid(self.array, cols))

    def save(self, path: str | Path, cols: int = GRID_COLS) -> Path:
        """Write the grid (written whole or not at all) and return its path: a PNG, or WebP or JPEG where the
        name ends in .webp, .jpg or .jpeg."""
        save_grid(self.array, path, cols)
        return Path(path)
