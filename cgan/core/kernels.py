"""Work-arounds for CPU math kernels that are not repeatable between processes."""

from __future__ import annotations

import torch

# Elementwise functions that the CPU build computes with a vectorised math library.
_UNARY = (torch.tanh, torch.sigmoid, torch.exp, torch.log, torch.log1p, torch.expm1, torch.sqrt, torch.erf)


def warm_up_math_kernels() -> None:
    """Call each vectorised elementwise function once, on every intra-op thread, before real work.

    With torch 2.13 and 2 threads, the first multi-threaded torch.tanh of a process can compute the first
    thread's share with another kernel (values one ulp off), so two identical `cgan train --threads 2`
    runs could end with different checkpoints; after one throw-away call per function they agree
    (tests/gan/test_training.py checks three processes). Costs about a millisecond."""
    n = max(1, torch.get_num_threads()) << 16  # above ATen's grain size for every thread
    x = torch.linspace(0.01, 4.0, n)
    for dtype in (torch.float32, torch.float64):
        for fn in _UNARY:
            fn(x.to(dtype))
