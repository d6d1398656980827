"""The grids `cgan generate` writes: one image per tag line, per unconditional seed, or per prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cgan.core.errors import CganError
from cgan.core.images import GRID_COLS
from cgan.core.pixels import Rendered
from cgan.course.tags import read_testing_tags
from cgan.gan.build import load_generator
from cgan.gan.conditioning import SentenceConditioning, read_codes
from cgan.gan.models import Generator
from cgan.gan.sampling import check_truncation, generate_rendered, one_thread_per_op, tag_seeds
from cgan.text.prompt_reader import check_prompt
from cgan.text.prompts import plan_images, read_prompt_file


@dataclass
class Grid:
    """Images (with their rounding margins), a name for each (for warnings), and the columns to lay them in."""

    rendered: Rendered
    names: list[str]
    cols: int = GRID_COLS
    prompts: int = 0
    read: dict[str, tuple[str, float, str, float]] = field(default_factory=dict)  # a colour reader's, per prompt


def default_release(tags_file: Path | None, wants_text: bool) -> str:
    """The release model a plain `cgan generate` means: 'sentence' for prompts, 'cgan' for a tags file,
    'gan' without either."""
    if wants_text:
        if tags_file is not None:
            raise CganError("give a tags file or --text/--text-file, not both")
        return "sentence"
    return "cgan" if tags_file is not None else "gan"


def refuse_missing_colours(ckpt: Path, cond: SentenceConditioning, text: str | None, text_file: Path | None) -> None:
    """--strict: every prompt must name a hair and an eye colour (a faces sentence model only)."""
    if not hasattr(cond, "read"):
        raise CganError(f"{ckpt}: --strict needs a faces sentence model (a colour reader), not {cond.kind}")
    for line, prompt in ([(0, text)] if text is not None else read_prompt_file(text_file)):
        try:
            check_prompt(prompt.strip(), strict=True)
        except CganError as e:
            raise CganError(f"{text_file}:{line}: {e}" if line else str(e)) from None


def generate_grid(ckpt: Path, tags_file: Path | None = None, seed: int = 0, n: int | None = None,
                  text: str | None = None, text_file: Path | None = None,
                  log: Callable[[str], None] = lambda m: None, strict: bool = False, truncation: float = 1.0) -> Grid:
    """The images of one `cgan generate` call, from the generator file `ckpt` (float64 on the CPU).
    `strict`: refuse a prompt that names no hair or no eye colour, before anything is drawn;
    `truncation`: each image's noise scale (gan.sampling.truncate)."""
    check_truncation(truncation)  # before the model is loaded
    if strict and text is None and text_file is None:
        raise CganError("--strict is for prompts: give --text or --text-file")
    with one_thread_per_op():  # building G is many small ops (its initialisation, then the weights)
        G, cond, _ = load_generator(ckpt)
    wants_text = text is not None or text_file is not None
    if cond.kind == "sentence" and not wants_text:
        raise CganError(f"{ckpt}: a sentence model: give --text or --text-file")
    if cond.kind != "sentence" and wants_text:
        raise CganError(f"{ckpt}: --text/--text-file need a sentence model (this one is conditioned on {cond.kind})")
    if cond.kind == "sentence":
        if strict:
            refuse_missing_colours(ckpt, cond, text, text_file)
        return sentence_grid(G, cond, *plan_images(text, text_file, n), seed, log, truncation)
    if cond.conditional and tags_file is None:
        raise CganError(f"{ckpt}: a conditional model needs a tags file (e.g. hw3/testing_tags.txt)")
    if tags_file is not None:
        tags = read_testing_tags(tags_file)
        seeds = tag_seeds(tags, seed, str(tags_file))
        names = [f"{tags_file}:{t.line} (seed {s})" for t, s in zip(tags, seeds)]
        if cond.conditional:
            return Grid(generate_rendered(G, cond, seeds, tags, path=str(tags_file), truncation=truncation), names)
        # An unconditional model seeded by the ids.
        return Grid(generate_rendered(G, cond, seeds, truncation=truncation), names)
    n = 25 if n is None else n
    if n < 1:
        raise CganError("--n must be at least 1")
    seeds = [seed + k for k in range(n)]
    return Grid(generate_rendered(G, cond, seeds, truncation=truncation),
                [f"image {i + 1} (seed {s})" for i, s in enumerate(seeds)])


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
