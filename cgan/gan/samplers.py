"""Which forward pass draws a checkpoint's images: numpy for BigGAN tag and unconditional generators
(no torch import: the homework scripts start in a fraction of torch's import time), torch for the rest.
Both compute in float64 and give the same PNG (numpy_generator.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from cgan.core.checkpoint_arrays import Unreadable, no_checkpoint, read_checkpoint_arrays
from cgan.core.errors import CganError
from cgan.core.pixels import Rendered
from cgan.course.tags import TagLine
from cgan.gan.numpy_generator import NumpyGenerator

ENGINES = ("auto", "numpy", "torch")


class Sampler(Protocol):
    kind: str  # the conditioning: 'multi', 'pair', 'none' or 'sentence'
    conditional: bool

    def rendered(self, seeds: list[int], tags: list[TagLine] | None = None, path: str = "<tags>",
                 truncation: float = 1.0) -> Rendered:
        """One image per seed (and per tag line when conditional), with its rounding margin."""


def numpy_generator(ckpt: str | Path) -> NumpyGenerator | None:
    """The checkpoint's generator as a NumpyGenerator, or None when the numpy pass does not draw it."""
    try:
        return NumpyGenerator.from_checkpoint(read_checkpoint_arrays(ckpt))
    except Unreadable:
        return None


def load_sampler(ckpt: str | Path, engine: str = "auto", wants_text: bool = False) -> Sampler:
    """`engine` 'auto': numpy where it can draw the model (not for prompts: their encoder is torch's),
    else torch; 'numpy' or 'torch' insist."""
    if engine not in ENGINES:
        raise CganError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine != "torch" and not wants_text:
        gen = numpy_generator(ckpt)
        if gen is not None:
            return gen
    if engine == "numpy":
        if not Path(ckpt).is_file():
            raise no_checkpoint(ckpt)
        raise CganError(f"{ckpt}: the numpy engine draws BigGAN tag and unconditional generators only "
                        "(not prompts, the course DCGAN or conditioning augmentation); use --engine torch or auto")
    from cgan.gan.torch_sampler import TorchSampler  # torch's import (a second) only when torch draws

    return TorchSampler(ckpt)
