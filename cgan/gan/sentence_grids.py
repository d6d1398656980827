"""A sentence model's grids: prompts through its text encoder, one image per (prompt, seed)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from cgan.core.errors import CganError
from cgan.gan.conditioning import SentenceConditioning, read_codes
from cgan.gan.grid_result import Grid
from cgan.gan.models import Generator
from cgan.gan.sampling import generate_rendered
from cgan.text.prompt_reader import check_prompt
from cgan.text.prompts import read_prompt_file


def refuse_missing_colours(ckpt: Path, cond: SentenceConditioning, text: str | None, text_file: Path | None) -> None:
    """--strict: every prompt must name a hair and an eye colour (a faces sentence model only)."""
    if not hasattr(cond, "read"):
        raise CganError(f"{ckpt}: --strict needs a faces sentence model (a colour reader), not {cond.kind}")
    for line, prompt in ([(0, text)] if text is not None else read_prompt_file(text_file)):
        try:
            check_prompt(prompt.strip(), strict=True)
        except CganError as e:
            raise CganError(f"{text_file}:{line}: {e}" if line else str(e)) from None


def sentence_grid(G: Generator, cond: SentenceConditioning, prompts: list[str], offsets: list[int], cols: int,
                  seed: int = 0, log: Callable[[str], None] = lambda m: None, truncation: float = 1.0) -> Grid:
    """A sentence model's images: one per (prompt, seed offset) of a plan from text.prompts."""
    codes = cond.encode_texts(prompts, log=log)  # each distinct prompt is encoded once
    read = {}
    if hasattr(cond, "read"):  # a colour reader: say what it understood, so a surprising image is explained
        read = dict(zip(prompts, read_codes(codes)))
        for p, (h, ph, e, pe) in read.items():
            log(f"{p!r}: read as {h} hair ({ph:.0%}), {e} eyes ({pe:.0%})")
    seeds = [seed + k for k in offsets]
    return Grid(generate_rendered(G, cond, seeds, codes=codes, truncation=truncation),
                [f"image {i + 1} (seed {s})" for i, s in enumerate(seeds)], cols, len(set(prompts)), read)
