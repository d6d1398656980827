"""The numpy convolutions against torch's: the same maps up to float64 rounding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cgan.core.numpy_conv import conv3x3, conv3x3_matrix, up_conv3x3, up_conv3x3_matrices, upsample2


def _case(n: int, c: int, h: int, w: int, out: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    k = torch.randn(out, c, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(out, generator=g, dtype=torch.float64)
    return x, k, b, x.permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("shape", [(2, 5, 4, 4, 3), (1, 3, 7, 5, 4), (3, 8, 1, 1, 2)])
def test_conv3x3_is_torchs_padded_convolution(shape):
    x, k, b, xn = _case(*shape)
    want = F.conv2d(x, k, b, padding=1).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(conv3x3(xn, conv3x3_matrix(k.numpy()), b.numpy()), want, rtol=0, atol=1e-12)
    no_bias = F.conv2d(x, k, None, padding=1).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(conv3x3(xn, conv3x3_matrix(k.numpy()), None), no_bias, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 5, 4, 4, 3), (1, 3, 3, 6, 4), (2, 4, 1, 1, 2)])
def test_up_conv3x3_is_a_convolution_of_the_nearest_upsampling(shape):
    x, k, b, xn = _case(*shape, seed=1)
    want = F.conv2d(F.interpolate(x, scale_factor=2, mode="nearest"), k, b, padding=1).permute(0, 2, 3, 1).numpy()
    got = up_conv3x3(xn, up_conv3x3_matrices(k.numpy()), b.numpy())
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_upsample2_is_nearest():
    x, _, _, xn = _case(2, 3, 3, 4, 1)
    want = F.interpolate(x, scale_factor=2, mode="nearest").permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(upsample2(xn), want)
