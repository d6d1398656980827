"""Where a run computes and in which precision: 'auto' resolved against the machine it runs on."""

from __future__ import annotations

from pathlib import Path

import torch

# The dtype of generators that draw pixels meant to be the same on every machine (core/pixels.py).
EXACT_DTYPE = torch.float64


def resolve_device(device: str) -> str:
    """'auto': the GPU when there is one, else the CPU; anything else as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (Linux; elsewhere none)."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        return set()
    return set(flags.partition(":")[2].split())


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU multiplies bf16 in hardware: AMX tiles, or AVX-512's bf16 dot products."""
    return bool({"amx_bf16", "avx512_bf16"} & cpu_flags(cpuinfo))


def resolve_precision(precision: str, device: str) -> str:
    """'auto': bf16 where it pays (a GPU that has it, a CPU with bf16 instructions), else fp32. Without
    them, CPU bf16 runs through emulation slower than fp32, so auto never picks it there; with AVX-512 bf16
    alone (no AMX) the BigGAN-style training step still runs about 2x faster than in fp32
    (bench/train_speed.py, docs/speed.md)."""
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device == "cpu" and cpu_has_bf16() else "fp32"
