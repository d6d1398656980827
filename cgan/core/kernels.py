"""Work-arounds for CPU math kernels that are not repeatable between processes."""

from __future__ import annotations

import torch

# Elementwise functions that the CPU build computes with a vectorised math library.
_UNARY = (torch.tanh, torch.sigmoid, torch.exp, torch.log, torch.log1p, torch.expm1, torch.sqrt, torch.erf)


def warm_up_math_kernels() -> None:
    """Call each vectorised elementwise function once, on every intra-op thread, before real work.

    Measured with torch 2.13 on an Intel Xeon (2 threads): in about one process in three, the first
    multi-threaded torch.tanh of a process computes the first thread's share with another kernel
    (393,212 of 786,432 values of G's output one ulp off, against none afterwards), so two identical
    `cgan train --threads 2` runs ended with 124 of 170 checkpoint tensors different. After one
    throw-away call per function, G's first output agreed in 12 of 12 processes and 8 of 8 training
    runs ended identical. Costs about a millisecond."""
    n = max(1, torch.get_num_threads()) << 16  # above ATen's grain size for every thread
    x = torch.linspace(0.01, 4.0, n)
    for dtype in (torch.float32, torch.float64):
        for fn in _UNARY:
            fn(x.to(dtype))
