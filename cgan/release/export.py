"""Release files: a generator-only (or transfer-only) checkpoint, and what its manifest entry says.
"""

from __future__ import annotations

from pathlib import Path

from cgan.core.checkpoint_io import (
    FORMAT_VERSION,
    load_checkpoint,
    sampling_state,
    save_checkpoint,
)
from cgan.gan.build import ARCH
from cgan.transfer.networks import ARCH as TRANSFER_ARCH


def export_generator(src: str | Path, dst: str | Path, fp16: bool = True) -> dict:
    """Write a generator-only release checkpoint (EMA weights if present) and return what it wrote."""
    obj = load_checkpoint(src, arch=(ARCH, TRANSFER_ARCH))
    state = sampling_state(obj)
    if fp16:
        state = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
    out = {"format_version": FORMAT_VERSION, "kind": "generator", "config": obj["config"], "G": state,
           "epoch": obj.get("epoch", 0), "step": obj.get("step", 0), "data": obj.get("data", {})}
    save_checkpoint(out, dst)
    return out
