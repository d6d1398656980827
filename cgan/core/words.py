"""Counts in messages: "1 image", "2 images"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one: count(1, "image") -> "1 image"; count(3, "image") -> "3 images"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
