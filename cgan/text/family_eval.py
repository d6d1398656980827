"""Accuracy per family of sentence shapes: the learned reader alone, the structured pass alone, and the
two combined as a sentence model reads a prompt (prompt_reader.combine)."""

from __future__ import annotations

from collections import defaultdict

import torch

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.text.colour_parse import parse
from cgan.text.prompt_reader import combine, learned_readings

READERS = ("learned", "structured", "combined")


def family_accuracy(texts: list[str], hair: torch.Tensor, eyes: torch.Tensor, families: list[str],
                    codes: torch.Tensor) -> dict[str, dict[str, dict[str, float]]]:
    """{family: {reader: {'hair', 'eyes', 'n'}}} for labelled sentences and the learned reader's codes of them."""
    hits: dict[str, dict[str, list[int]]] = defaultdict(lambda: {r: [0, 0] for r in READERS})
    n: dict[str, int] = defaultdict(int)
    for text, h, e, fam, guess in zip(texts, hair.tolist(), eyes.tolist(), families, learned_readings(codes)):
        p = parse(text)
        try:
            c = combine(text, guess)
            combined = (c.hair, c.eyes)
        except CganError:  # a colour it calls unknown is a miss
            combined = (None, None)
        truth = (HAIR_COLORS[h], EYE_COLORS[e])
        for reader, (rh, re_) in zip(READERS, (guess, (p.colour("hair"), p.colour("eyes")), combined)):
            hits[fam][reader][0] += rh == truth[0]
            hits[fam][reader][1] += re_ == truth[1]
        n[fam] += 1
    return {f: {r: {"hair": a[0] / n[f], "eyes": a[1] / n[f], "n": n[f]} for r, a in rs.items()}
            for f, rs in hits.items()}


def family_table(acc: dict[str, dict[str, dict[str, float]]]) -> str:
    """A Markdown table: one row per family, hair / eyes per reader."""
    rows = ["| family | n | " + " | ".join(f"{r} hair | {r} eyes" for r in READERS) + " |",
            "|---|---|" + "---|" * (2 * len(READERS))]
    for fam, rs in acc.items():
        cells = " | ".join(f"{rs[r]['hair']:.1%} | {rs[r]['eyes']:.1%}" for r in READERS)
        rows.append(f"| {fam} | {rs['combined']['n']} | {cells} |")
    return "\n".join(rows)
