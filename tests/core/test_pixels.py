"""The pixel path's rounding and its margin: what decides whether a PNG is the same on every machine."""

from __future__ import annotations

import numpy as np
import torch

from cgan.core.pixels import (
    PORTABLE_MARGIN,
    Rendered,
    portability_warning,
    render,
    rounding_margin,
)


def as_output(levels: list[float]) -> torch.Tensor:
    """A 1x1x1xN 'generator output' in [-1, 1] whose values are exactly these levels (float64)."""
    return (torch.tensor(levels, dtype=torch.float64) / 127.5 - 1.0).view(1, 1, 1, -1)


def test_margin_is_the_distance_to_the_nearest_half_level():
    v = torch.tensor([[10.0, 10.25, 99.4999, 200.7]], dtype=torch.float64)
    assert np.allclose(rounding_margin(v), [1e-4], atol=1e-9)
    assert rounding_margin(np.array([[3.0, 7.0]]))[0] == 0.5


def test_values_clamped_either_way_do_not_count():
    # -0.7 and 255.6 round to -1 / 256, then clamp to 0 / 255: their last bits cannot change the pixel
    v = torch.tensor([[-0.7, 255.6, 128.0]], dtype=torch.float64)
    assert rounding_margin(v)[0] == 0.5


def test_render_rounds_once_in_float64():
    x = torch.cat([as_output([0.0, 127.5 + 1e-12, 254.5 - 1e-6, 255.0])] * 3, 1)  # C = 3
    r = render(x)
    assert r.images.dtype == np.uint8 and r.images.shape == (1, 1, 4, 3)
    assert r.images[0, 0, :, 0].tolist() == [0, 128, 254, 255]
    assert r.margin < 1e-11  # 127.5 + 1e-12 sits on a boundary: flagged, not trusted
    same = render(x.numpy())  # the numpy forward pass renders its arrays through the same function
    assert np.array_equal(same.images, r.images) and np.array_equal(same.margins, r.margins)


def test_float32_output_renders_the_same_from_a_tensor_or_an_array():
    x = torch.rand(2, 3, 4, 4) * 2 - 1
    assert render(x).images.dtype == np.uint8
    assert np.array_equal(render(x).images, render(x.numpy()).images)


def test_warning_names_only_the_unsafe_images():
    r = Rendered(np.zeros((3, 64, 64, 3), np.uint8), np.array([1e-6, PORTABLE_MARGIN / 10, 0.3]))
    msg = portability_warning(r, ["a", "b", "c"])
    assert msg is not None and "b (" in msg and "a (" not in msg and "another --seed" in msg
    assert portability_warning(Rendered(r.images, np.array([1e-6, 1e-3, 0.3])), ["a", "b", "c"]) is None


def test_a_float32_tensor_is_rounded_as_before():
    x = torch.tensor([-1.0, 0.0, 0.999], dtype=torch.float32).view(1, 1, 1, 3).expand(1, 3, 1, 3)
    assert render(x).images[0, 0, :, 0].tolist() == [0, 128, 255]
