"""Where a run computes and in which precision: 'auto' resolved against the machine it runs on."""

from __future__ import annotations

from pathlib import Path

import torch


def resolve_device(device: str) -> str:
    """'auto': the GPU when there is one, else the CPU; anything else as given."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def cpu_has_amx(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU has AMX tiles for bf16 matrix products (Linux; elsewhere False)."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        return False
    return "amx_bf16" in flags.split()


def resolve_precision(precision: str, device: str) -> str:
    """'auto': bf16 where it pays (a GPU that has it, a CPU with AMX), else fp32. Without AMX, CPU bf16
    runs through emulation slower than fp32, so auto never picks it there."""
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device == "cpu" and cpu_has_amx() else "fp32"
