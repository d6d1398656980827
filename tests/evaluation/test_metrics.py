from __future__ import annotations

import numpy as np
import pytest

from cgan.evaluation.metrics import (
    collapse_flag,
    diversity_ratio,
    frechet_distance,
    kernel_inception_distance,
    mean_pairwise_distance,
    near_duplicates,
)

pytest.importorskip("scipy", reason="scipy (the eval extra) not installed")

rng = np.random.RandomState(0)
A = rng.randn(500, 8)


def test_fd_of_a_set_with_itself_is_zero_and_shift_is_squared_distance():
    assert frechet_distance(A, A) == pytest.approx(0.0, abs=1e-6)
    # Same covariance, mean moved by 3 along one axis: FD = 9.
    assert frechet_distance(A, A + np.eye(8)[0] * 3) == pytest.approx(9.0, rel=1e-6)


def test_fd_of_gaussians_with_known_covariances():
    x = np.random.RandomState(1).randn(20000, 2)
    y = x * 2.0  # cov 4I: Tr(I + 4I - 2*2I) = 2 * (1 + 4 - 4) = 2
    assert frechet_distance(x, y) == pytest.approx(2.0, rel=0.05)


def test_kid_near_zero_for_same_distribution_and_positive_for_different():
    b = np.random.RandomState(2).randn(500, 8)
    same, _ = kernel_inception_distance(A, b, subsets=20, subset_size=200)
    diff, _ = kernel_inception_distance(A, b + 1.0, subsets=20, subset_size=200)
    assert abs(same) < 0.02 and diff > 0.1


def test_pairwise_distance():
    assert mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    assert mean_pairwise_distance(np.zeros((1, 3))) == 0.0


def test_25_copies_of_one_image_are_flagged_as_collapse():
    img = rng.randint(0, 256, (64, 64, 3)).astype(np.uint8)
    copies = np.stack([img] * 25)
    varied = rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)
    assert near_duplicates(copies) == 25 * 24 // 2
    assert near_duplicates(varied) == 0
    assert collapse_flag(diversity_ratio(copies, varied))
    assert not collapse_flag(diversity_ratio(varied[::-1], varied))
