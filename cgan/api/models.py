"""A generator loaded once and drawn from many times: tags, sentences or plain seeds."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cgan.api.images import Images
from cgan.core.errors import CganError
from cgan.course.tags import TagLine, parse_pair, read_testing_tags
from cgan.gan.build import load_generator
from cgan.gan.conditioning import Conditioning
from cgan.gan.grids import generate_grid
from cgan.gan.models import Generator
from cgan.gan.sampling import generate_rendered
from cgan.gan.seeds import tag_seeds
from cgan.release.manifest import resolve_checkpoint

Tags = Sequence[str | tuple[str, str] | TagLine] | str | Path


@dataclass
class Model:
    """A generator file and what it is conditioned on: 'tags', 'sentence' or 'none'. Images are computed
    in float64 on the CPU, so they are the same pixels `cgan generate` writes on any machine."""

    path: Path
    G: Generator
    cond: Conditioning

    @property
    def kind(self) -> str:
        if self.cond.kind == "sentence":
            return "sentence"
        return "tags" if self.cond.conditional else "none"

    def generate(self, tags: Tags | None = None, *, text: str | Sequence[str] | None = None, n: int | None = None,
                 seed: int = 0, truncation: float = 1.0, log: Callable[[str], None] = lambda m: None) -> Images:
        """Images for `tags` (a tags file's path, or a list of 'blue hair red eyes' / (hair, eyes) / TagLine;
        item i is seeded seed + i + 1, the id it would have in a tags file, so a list of a file's lines gives
        the file's images), for `text` (a sentence model: `n` images per prompt, 5 by default), or `n`
        unconditional images seeded seed, seed + 1, ... (25 by default). `truncation` scales the noise
        as `cgan generate --truncation` does (run_gan.sh's images: 0.6)."""
        if text is not None:
            return self._from_text([text] if isinstance(text, str) else list(text), 5 if n is None else n, seed,
                                   truncation, log)
        if self.kind == "sentence":
            raise CganError(f"{self.path}: a sentence model: pass text=")
        if tags is not None:
            lines = tag_lines(tags)
            seeds = tag_seeds(lines, seed)
            if self.kind == "none":  # an unconditional model, seeded by the ids as `cgan generate` does
                return Images(generate_rendered(self.G, self.cond, seeds, truncation=truncation).images, seeds,
                              [""] * len(seeds))
            return Images(generate_rendered(self.G, self.cond, seeds, lines, truncation=truncation).images, seeds,
                          [t.text for t in lines])
        if self.kind == "tags":
            raise CganError(f"{self.path}: a conditional model needs tags (a list or a tags file)")
        n = 25 if n is None else n
        if n < 1:
            raise CganError("n must be at least 1")
        seeds = [seed + k for k in range(n)]
        return Images(generate_rendered(self.G, self.cond, seeds, truncation=truncation).images, seeds, [""] * n)

    def _from_text(self, prompts: list[str], n: int, seed: int, truncation: float,
                   log: Callable[[str], None]) -> Images:
        """`n` images per prompt, through a prompts file as `cgan generate --text-file` reads one: prompt
        p's image k is seeded seed + k, so a prompt draws the same faces whatever else is asked."""
        if self.kind != "sentence":
            raise CganError(f"{self.path}: text needs a sentence model (this one is conditioned on {self.kind})")
        if not prompts:
            raise CganError("text: give at least one prompt")
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "prompts.txt"
            f.write_text("".join(" ".join(p.split()) + "\n" for p in prompts))
            grid = generate_grid(self.path, text_file=f, n=n, seed=seed, log=log, truncation=truncation)
        return Images(grid.rendered.images, [seed + k for _ in prompts for k in range(n)],
                      [p for p in prompts for _ in range(n)])


def tag_lines(tags: Tags) -> list[TagLine]:
    """`tags` as TagLines: a tags file read as `cgan generate` reads it, or list item i given id i + 1."""
    if isinstance(tags, (str, Path)) and Path(tags).suffix and Path(tags).is_file():
        return read_testing_tags(Path(tags))
    if isinstance(tags, str):
        tags = [tags]
    lines = []
    for i, t in enumerate(tags):
        if not isinstance(t, TagLine):
            text = t if isinstance(t, str) else f"{t[0]} hair {t[1]} eyes"
            t = TagLine(str(i + 1), *parse_pair(text, f"tags[{i}]"))
        lines.append(t)
    return lines


def load(name_or_path: str | Path = "cgan", log: Callable[[str], None] = lambda m: None) -> Model:
    """A generator by release name ('cgan', 'gan', 'sentence', 'baseline'; `cgan download --list`) or by
    the path of a checkpoint or exported file."""
    path = resolve_checkpoint(str(name_or_path), log=log)
    G, cond, _ = load_generator(path)
    return Model(Path(path), G, cond)

