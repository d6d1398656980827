"""Tags -> the code vector a tag generator is conditioned on, without torch: the vocabulary of
(hair, eyes) pairs a checkpoint records, the check that a tag has a code, and the one-hot codes.
conditioning.Conditioning builds on it for training; numpy_generator.py uses it as it is."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, EYE_INDEX, HAIR_COLORS, HAIR_INDEX
from cgan.course.tags import TagLine

KINDS = ("pair", "multi", "none")
UNSEEN_PAIR = "a (hair, eyes) pair outside the training vocabulary reached the pair encoder"  # unchecked tags


class TagCodes:
    """`kind` 'multi': a hair one-hot then an eye one-hot (every one of the 132 pairs has a code);
    'pair': a one-hot over the (hair, eyes) pairs seen in training; 'none': no condition.

    `pairs` is the list of (hair, eyes) seen in training, for every kind, in colour order."""

    def __init__(self, kind: str, pairs: Iterable[tuple[str, str]]) -> None:
        if kind not in KINDS:
            raise CganError(f"unknown conditioning {kind!r} (choose from {', '.join(KINDS)})")
        self.kind = kind
        self.pairs = sorted({(h, e) for h, e in pairs}, key=lambda p: (HAIR_INDEX[p[0]], EYE_INDEX[p[1]]))
        self._pair_index = {p: i for i, p in enumerate(self.pairs)}

    @property
    def dim(self) -> int:
        return {"pair": len(self.pairs), "multi": len(HAIR_COLORS) + len(EYE_COLORS), "none": 0}[self.kind]

    @property
    def conditional(self) -> bool:
        return self.kind != "none"

    def check(self, tag: TagLine, where: str) -> None:
        """Raise a clear error for a tag this encoder cannot represent."""
        if self.kind == "pair" and tag.pair not in self._pair_index:
            raise CganError(
                f"{where}: the pair '{tag.text}' was never seen in training, and --cond pair has no "
                f"code for it ({len(self.pairs)} pairs known); use a model trained with --cond multi")

    def onehots(self, tags: list[TagLine]) -> np.ndarray:
        """(len(tags), dim) float64 codes of checked tags."""
        out = np.zeros((len(tags), self.dim))
        for i, t in enumerate(tags):
            if self.kind == "multi":
                out[i, HAIR_INDEX[t.hair]] = out[i, len(HAIR_COLORS) + EYE_INDEX[t.eyes]] = 1.0
            elif self.kind == "pair":
                if t.pair not in self._pair_index:
                    raise CganError(UNSEEN_PAIR)
                out[i, self._pair_index[t.pair]] = 1.0
        return out
