"""The grids `cgan generate` writes: one image per tag line, per unconditional seed, or per prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from cgan.core.errors import CganError
from cgan.course.tags import read_testing_tags
from cgan.gan.grid_result import Grid
from cgan.gan.samplers import load_sampler
from cgan.gan.seeds import check_truncation, tag_seeds
from cgan.text.prompts import plan_images


def default_release(tags_file: Path | None, wants_text: bool) -> str:
    """The release model a plain `cgan generate` means: 'sentence' for prompts, 'cgan' for a tags file,
    'gan' without either."""
    if wants_text:
        if tags_file is not None:
            raise CganError("give a tags file or --text/--text-file, not both")
        return "sentence"
    return "cgan" if tags_file is not None else "gan"


def generate_grid(ckpt: Path, tags_file: Path | None = None, seed: int = 0, n: int | None = None,
                  text: str | None = None, text_file: Path | None = None,
                  log: Callable[[str], None] = lambda m: None, strict: bool = False, truncation: float = 1.0,
                  engine: str = "auto") -> Grid:
    """The images of one `cgan generate` call, from the generator file `ckpt` (float64 on the CPU).
    `strict`: refuse a prompt that names no hair or no eye colour, before anything is drawn;
    `truncation`: each image's noise scale (gan.seeds.truncate); `engine`: the forward pass
    (gan.samplers: 'auto', 'numpy' or 'torch'; the same PNG from each)."""
    check_truncation(truncation)  # before the model is loaded
    if strict and text is None and text_file is None:
        raise CganError("--strict is for prompts: give --text or --text-file")
    wants_text = text is not None or text_file is not None
    sampler = load_sampler(ckpt, engine, wants_text)
    if sampler.kind == "sentence" and not wants_text:
        raise CganError(f"{ckpt}: a sentence model: give --text or --text-file")
    if sampler.kind != "sentence" and wants_text:
        raise CganError(f"{ckpt}: --text/--text-file need a sentence model (this one is conditioned on {sampler.kind})")
    if sampler.kind == "sentence":
        from cgan.gan.sentence_grids import refuse_missing_colours, sentence_grid  # torch and the text encoder

        if strict:
            refuse_missing_colours(ckpt, sampler.cond, text, text_file)
        return sentence_grid(sampler.G, sampler.cond, *plan_images(text, text_file, n), seed, log, truncation)
    if sampler.conditional and tags_file is None:
        raise CganError(f"{ckpt}: a conditional model needs a tags file (e.g. hw3/testing_tags.txt)")
    if tags_file is not None:
        tags = read_testing_tags(tags_file)
        seeds = tag_seeds(tags, seed, str(tags_file))
        names = [f"{tags_file}:{t.line} (seed {s})" for t, s in zip(tags, seeds)]
        # An unconditional model is seeded by the ids.
        return Grid(sampler.rendered(seeds, tags, path=str(tags_file), truncation=truncation), names)
    n = 25 if n is None else n
    if n < 1:
        raise CganError("--n must be at least 1")
    seeds = [seed + k for k in range(n)]
    return Grid(sampler.rendered(seeds, truncation=truncation),
                [f"image {i + 1} (seed {s})" for i, s in enumerate(seeds)])
