"""3x3 convolutions in numpy on NHWC float64 arrays, as one matrix product each (im2col).

For a forward pass that must not import torch (core/checkpoint_arrays.py says why). Weights arrive in
torch's (out, in, kh, kw) layout and are turned into matrices once, by the `*_matrix` functions.
Padding is 1 (zeros), as `nn.Conv2d(cin, cout, 3, padding=1)`.
"""

from __future__ import annotations

import numpy as np

# Nearest 2x upsampling then a 3x3 convolution, per output phase a (row or column parity): the taps u
# of the kernel that land on the same input pixel, and that pixel's offset. Phase 0 (output 2i) reads
# upsampled rows 2i-1, 2i, 2i+1 = input rows i-1, i, i; phase 1 (2i+1) reads i, i, i+1.
_PHASE_TAPS = {0: (((0,), -1), ((1, 2), 0)), 1: (((0, 1), 0), ((2,), 1))}


def _shifted(cols: np.ndarray, x: np.ndarray, slot: tuple[int, int], dy: int, dx: int) -> None:
    """cols[:, i, j, slot] = x[:, i + dy, j + dx] where that pixel exists (cols starts at zero: padding)."""
    _, h, w, _ = x.shape
    i0, i1, j0, j1 = max(0, -dy), h - max(0, dy), max(0, -dx), w - max(0, dx)
    cols[:, i0:i1, j0:j1, slot[0], slot[1]] = x[:, i0 + dy:i1 + dy, j0 + dx:j1 + dx]


def conv3x3_matrix(w: np.ndarray) -> np.ndarray:
    """(out, in, 3, 3) -> the (9 * in, out) matrix `conv3x3` multiplies by."""
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0]))


def conv3x3(x: np.ndarray, wmat: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """3x3 convolution, padding 1: (N, H, W, C) -> (N, H, W, out)."""
    n, h, w, c = x.shape
    cols = np.zeros((n, h, w, 3, 3, c), x.dtype)
    for u in range(3):
        for v in range(3):
            _shifted(cols, x, (u, v), u - 1, v - 1)
    out = cols.reshape(-1, 9 * c) @ wmat
    if b is not None:
        out += b
    return out.reshape(n, h, w, -1)


def up_conv3x3_matrices(w: np.ndarray) -> list[np.ndarray]:
    """(out, in, 3, 3) -> per output phase (a, b), the (4 * in, out) matrix of its 2x2 effective kernel
    (the taps that read the same input pixel summed)."""
    mats = []
    for a in (0, 1):
        for b in (0, 1):
            taps = [w[:, :, list(us)][:, :, :, list(vs)].sum((2, 3)).T for us, _ in _PHASE_TAPS[a] for vs, _ in _PHASE_TAPS[b]]
            mats.append(np.ascontiguousarray(np.concatenate(taps, 0)))
    return mats


def up_conv3x3(x: np.ndarray, mats: list[np.ndarray], b: np.ndarray | None) -> np.ndarray:
    """conv3x3(nearest 2x upsampling of x), padding 1, computed at x's resolution: each of the four
    output phases is a 2x2 convolution of x, 4/9 of the multiplies. (N, H, W, C) -> (N, 2H, 2W, out)."""
    n, h, w, c = x.shape
    out = np.empty((n, h, 2, w, 2, mats[0].shape[1]), x.dtype)
    for k, (a, bb) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        cols = np.zeros((n, h, w, 2, 2, c), x.dtype)
        for iu, (_, dy) in enumerate(_PHASE_TAPS[a]):
            for iv, (_, dx) in enumerate(_PHASE_TAPS[bb]):
                _shifted(cols, x, (iu, iv), dy, dx)
        phase = cols.reshape(-1, 4 * c) @ mats[k]
        if b is not None:
            phase += b
        out[:, :, a, :, bb] = phase.reshape(n, h, w, -1)
    return out.reshape(n, 2 * h, 2 * w, -1)


def upsample2(x: np.ndarray) -> np.ndarray:
    """Nearest 2x upsampling of (N, H, W, C)."""
    n, h, w, c = x.shape
    return np.broadcast_to(x[:, :, None, :, None], (n, h, 2, w, 2, c)).reshape(n, 2 * h, 2 * w, c)
