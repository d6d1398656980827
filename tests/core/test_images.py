from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from cgan.core.image_tensors import to_input, to_uint8
from cgan.core.images import as_uint8_images, make_grid, png_bytes, save_grid, split_grid


def test_grid_layout_row_major_5_columns():
    imgs = np.stack([np.full((64, 64, 3), i, np.uint8) for i in range(7)])
    g = make_grid(imgs)
    assert g.shape == (128, 320, 3)
    assert g[0, 64 * 4, 0] == 4 and g[64, 64, 0] == 6 and g[64, 64 * 2, 0] == 0  # empty cell black
    np.testing.assert_array_equal(split_grid(g)[:7], imgs)


def test_to_uint8_range():
    x = torch.tensor([-1.0, -0.999, 0.0, 1.0, 2.0]).view(1, 1, 1, 5).expand(1, 3, 1, 5)
    assert to_uint8(x)[0, 0, :, 0].tolist() == [0, 0, 128, 255, 255]


def test_as_uint8_accepts_tanh_unit_and_nchw():
    a = np.zeros((2, 3, 8, 8), np.float32)
    a[:, :, 0, 0] = 1.0
    tanh = as_uint8_images(a * 2 - 1)
    assert tanh.shape == (2, 8, 8, 3) and tanh[0, 0, 0, 0] == 255 and tanh[0, 1, 1, 0] == 0
    unit = as_uint8_images(a.transpose(0, 2, 3, 1))
    assert unit[0, 0, 0, 0] == 255 and unit[0, 1, 1, 0] == 0
    with pytest.raises(ValueError):
        as_uint8_images(np.zeros((8, 8, 3)))


def test_png_is_deterministic_and_rgb(tmp_path):
    imgs = np.random.RandomState(0).randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)
    save_grid(imgs, tmp_path / "a.png")
    save_grid(imgs, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes() == png_bytes(make_grid(imgs))
    with Image.open(tmp_path / "a.png") as im:
        assert im.size == (320, 320) and im.mode == "RGB"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temp files left


def test_to_input_takes_a_read_only_array_without_warning():
    """Uploads and memory maps arrive read-only; torch warns when it wraps one, so it is copied."""
    images = np.full((2, 4, 4, 3), 255, np.uint8)
    images.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = to_input(images)
    assert x.shape == (2, 3, 4, 4) and float(x.min()) == 1.0
