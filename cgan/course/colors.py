"""The course's colour vocabulary, in the handout's order."""

from __future__ import annotations

HAIR_COLORS: tuple[str, ...] = (
    "orange", "white", "aqua", "gray", "green", "red",
    "purple", "pink", "blue", "black", "brown", "blonde",
)
EYE_COLORS: tuple[str, ...] = (
    "gray", "black", "orange", "pink", "yellow", "aqua",
    "purple", "green", "brown", "red", "blue",
)
HAIR_INDEX = {c: i for i, c in enumerate(HAIR_COLORS)}
EYE_INDEX = {c: i for i, c in enumerate(EYE_COLORS)}
