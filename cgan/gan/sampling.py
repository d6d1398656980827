"""Sampling with one seed per image: an image never depends on batch size, order or file length."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from torch.nn.utils import parametrize

from cgan.core.devices import EXACT_DTYPE
from cgan.core.errors import CganError, at
from cgan.core.pixels import Rendered, render
from cgan.course.tags import TagLine
from cgan.gan.conditioning import Conditioning
from cgan.gan.models import Generator
from cgan.gan.seeds import noise_rows, truncate


def noise(seed: int, z_dim: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """z for one image, from its own RandomState (seeds.noise_rows); RandomState draws float64, kept as
    such for a float64 generator."""
    return torch.from_numpy(noise_rows([seed], z_dim)[0]).to(dtype)


def code_components(G: Generator) -> int:
    """How many leading noise components G reads as discrete codes rather than as noise."""
    return len(getattr(G, "latent_codes", None) or ())


def generate(G: Generator, cond: Conditioning, seeds: list[int], tags: list[TagLine] | None = None,
             path: str = "<tags>", codes: torch.Tensor | None = None, truncation: float = 1.0) -> np.ndarray:
    """NHWC uint8 images, one per seed (and per tag line, or row of `codes`, when conditional)."""
    return generate_rendered(G, cond, seeds, tags, path, codes, truncation).images


def generate_rendered(G: Generator, cond: Conditioning, seeds: list[int], tags: list[TagLine] | None = None,
                      path: str = "<tags>", codes: torch.Tensor | None = None, truncation: float = 1.0) -> Rendered:
    """`generate` with each image's rounding margin. Computes in G's dtype on G's device: a loaded
    generator is float64 on the CPU (gan.build.load_generator), so the pixels are the same on every
    machine; each image is its own forward pass, so none depends on the others. `truncation` scales
    each image's noise (see `truncate`)."""
    if codes is not None:
        if len(codes) != len(seeds):
            raise CganError("one condition code per image is needed")
        c_all = codes
    elif cond.conditional:
        if tags is None or len(tags) != len(seeds):
            raise CganError("a conditional model needs one tag line per image")
        for t in tags:
            cond.check(t, at(path, t.line))
        c_all = cond.encode_tags(tags)
    zs = torch.from_numpy(truncate(noise_rows(seeds, G.z_dim), truncation, code_components(G)))
    return render_codes(G, zs, c_all if cond.conditional else None)


class _OpThreads:
    """Torch's intra-op threads set to 1 while any caller is inside, and restored when the last leaves
    (callers may overlap: the demo serves requests on several threads)."""

    def __init__(self) -> None:
        self.lock, self.depth, self.saved = threading.Lock(), 0, 1

    @contextmanager
    def one(self) -> Iterator[int]:
        """Yields the thread count there was, for as many images at a time."""
        with self.lock:
            if self.depth == 0:
                self.saved = torch.get_num_threads()
                torch.set_num_threads(1)
            self.depth += 1
            n = self.saved
        try:
            yield n
        finally:
            with self.lock:
                self.depth -= 1
                if self.depth == 0:
                    torch.set_num_threads(self.saved)


_OP_THREADS = _OpThreads()


@contextmanager
def one_thread_per_op() -> Iterator[int]:
    """Torch's ops single-threaded inside (yields the thread count there was). For the ops of one image:
    too small for threads to share one, they wait on each other, badly so on a busy machine; images
    are spread over threads instead."""
    with _OP_THREADS.one() as n:
        yield n


def render_codes(G: Generator, z: torch.Tensor, c: torch.Tensor | None = None) -> Rendered:
    """Images from explicit noise rows `z` (and condition rows `c`), one forward pass each, in G's dtype
    on G's device: the path `generate` and the interpolation strips share. Each spectrally normalised
    weight is computed once for all the images (the same values every pass would compute). A float64
    G on the CPU draws its images side by side, one per thread: each image's ops are the same
    whichever thread runs them."""
    was_training = G.training
    G.eval()
    p = next(G.parameters())

    def one(i: int) -> Rendered:
        with torch.no_grad():  # per thread: grad mode is thread-local
            ci = c[i:i + 1].to(p.device, p.dtype) if c is not None else None
            return render(G(z[i:i + 1].to(p.device, p.dtype), ci))

    try:
        with parametrize.cached():
            if p.device.type == "cpu" and p.dtype == EXACT_DTYPE and len(z) > 1:
                with one_thread_per_op() as n, ThreadPoolExecutor(max(1, min(n, len(z)))) as pool:
                    out = list(pool.map(one, range(len(z))))
            else:
                out = [one(i) for i in range(len(z))]
    finally:
        G.train(was_training)
    return Rendered.concat(out)


def preview_tags(cond: Conditioning, n: int = 25) -> list[TagLine]:
    """Fixed tags for the per-epoch grids: n pairs spread evenly over the training vocabulary."""
    k = len(cond.pairs)
    return [TagLine(str(i), *cond.pairs[(i * k) // n % k]) for i in range(n)]
