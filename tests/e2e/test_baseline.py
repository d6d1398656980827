from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from baseline import save_imgs
from cgan.core.images import make_grid, png_bytes


def test_save_imgs_accepts_generator_output(tmp_path):
    x = torch.tanh(torch.randn(25, 3, 64, 64, generator=torch.Generator().manual_seed(0)))
    p = save_imgs(x, tmp_path / "samples" / "cgan.png")
    with Image.open(p) as im:
        assert im.size == (320, 320) and im.mode == "RGB"
        tiles = np.asarray(im)
    expect = ((x.permute(0, 2, 3, 1).numpy().astype(np.float64) + 1) / 2 * 255).round().clip(0, 255).astype(np.uint8)
    assert p.read_bytes() == png_bytes(make_grid(expect))
    assert np.array_equal(tiles[:64, 64:128], expect[1])
