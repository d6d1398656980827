"""Prompts for a sentence model: one --text, or a file with one prompt per line."""

from __future__ import annotations

from pathlib import Path

from cgan.core.errors import CganError, at
from cgan.core.images import GRID_COLS


def read_prompt_file(path: Path) -> list[tuple[int, str]]:
    """(line number, prompt) for every non-blank line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CganError(f"{path}: cannot read ({e.strerror})") from None
    out = []
    for n, line in enumerate(raw.split(b"\n"), 1):
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise CganError(f"{at(path, n)}: not UTF-8 text") from None
        if text:
            out.append((n, text))
    if not out:
        raise CganError(f"{path}: no prompts (one sentence per line)")
    return out


def plan_images(text: str | None, text_file: Path | None, n: int | None) -> tuple[list[str], list[int], int]:
    """(prompt per image, seed offset per image, columns).

    One --text: n images (default 25), seeds 0..n-1, 5 per row. A file: one row per prompt, n images
    (default 5) with seeds 0..n-1 in every row, so a column shows one noise under each prompt.
    """
    if text is not None and text_file is not None:
        raise CganError("give --text or --text-file, not both")
    if text is not None:
        if not text.strip():
            raise CganError("--text is empty: give a sentence to condition on")
        n = 25 if n is None else n
        if n < 1:
            raise CganError("--n must be at least 1")
        return [text.strip()] * n, list(range(n)), GRID_COLS
    n = 5 if n is None else n
    if n < 1:
        raise CganError("--n must be at least 1")
    return plan_rows([p for _, p in read_prompt_file(text_file)], n)


def plan_rows(prompts: list[str], n: int) -> tuple[list[str], list[int], int]:
    """One row of `n` images per prompt, seed offsets 0..n-1 in every row (see `plan_images`)."""
    return [p for p in prompts for _ in range(n)], [k for _ in prompts for k in range(n)], n
