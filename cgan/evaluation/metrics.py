"""Sample-quality metrics as pure functions of feature or pixel arrays (no models inside).

The feature extractor is the caller's choice (a tag classifier's penultimate layer, Inception):
these functions only see (N, D) arrays, so each has a test with a known answer.
"""

from __future__ import annotations

import warnings

import numpy as np

from cgan.core.errors import CganError


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two (N, D) arrays with the same D, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 samples per set")
    return frechet_from_stats(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def frechet_from_stats(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2), with scipy's sqrtm as pytorch-fid does."""
    try:
        from scipy import linalg
    except ImportError:
        raise CganError("the Fréchet distance needs scipy: pip install -r requirements-eval.txt") from None

    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.atleast_2d(np.asarray(s1, np.float64)), np.atleast_2d(np.asarray(s2, np.float64))
    with warnings.catch_warnings():  # singular covariances are expected when N < D; handled below
        warnings.simplefilter("ignore")
        covmean = linalg.sqrtm(s1.dot(s2))
        if not np.isfinite(covmean).all():  # nudge as pytorch-fid does
            off = np.eye(s1.shape[0]) * 1e-6
            covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = covmean.real
    d = mu1 - mu2
    return float(max(d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean), 0.0))


def kernel_inception_distance(a: np.ndarray, b: np.ndarray, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD^2 with the cubic polynomial kernel
    k(x, y) = (x.y / d + 1)^3, averaged over random subsets; returns (mean, std)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n = min(len(a), len(b), subset_size)
    if n < 2:
        raise ValueError("need at least 2 samples per set")
    d = a.shape[1]
    rng = np.random.RandomState(seed)
    vals = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), n, replace=False)]
        y = b[rng.choice(len(b), n, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (n * (n - 1)) - 2 * kxy.mean()
        vals.append(mmd)
    return float(np.mean(vals)), float(np.std(vals))


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance over all distinct pairs of rows (0 for fewer than 2 rows)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    if len(x) < 2:
        return 0.0
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    iu = np.triu_indices(len(x), 1)
    return float(np.sqrt(d2[iu]).mean())


def near_duplicates(images: np.ndarray, max_mean_abs: float = 2.0) -> int:
    """Pairs of images whose mean absolute pixel difference (0..255) is at most `max_mean_abs`."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    count = 0
    for i in range(len(x)):
        diff = np.abs(x[i + 1:] - x[i]).mean(1)
        count += int((diff <= max_mean_abs).sum())
    return count


def diversity_ratio(generated: np.ndarray, real: np.ndarray) -> float:
    """Mean pairwise distance of generated samples over that of real ones (same tag, same space).
    Near 1: as varied as the data; near 0: mode collapse."""
    ref = mean_pairwise_distance(real)
    return mean_pairwise_distance(generated) / ref if ref > 0 else float("nan")


COLLAPSE_RATIO = 0.35


def collapse_flag(ratio: float, threshold: float = COLLAPSE_RATIO) -> bool:
    return bool(ratio < threshold)
