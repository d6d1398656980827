"""A generator loaded into torch, float64 on the CPU, behind the interface samplers.py gives both
forward passes."""

from __future__ import annotations

from pathlib import Path

from cgan.core.pixels import Rendered
from cgan.course.tags import TagLine
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate_rendered, one_thread_per_op


class TorchSampler:
    """Any generator cgan trains: the course DCGAN, BigGAN, sentence models (`G` and `cond` for those)."""

    def __init__(self, ckpt: str | Path) -> None:
        with one_thread_per_op():  # building G is many small ops (its initialisation, then the weights)
            self.G, self.cond, _ = load_generator(ckpt)
        self.kind, self.conditional = self.cond.kind, self.cond.conditional

    def rendered(self, seeds: list[int], tags: list[TagLine] | None = None, path: str = "<tags>",
                 truncation: float = 1.0) -> Rendered:
        return generate_rendered(self.G, self.cond, seeds, tags if self.conditional else None, path,
                                 truncation=truncation)
