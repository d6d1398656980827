"""A prompt's hair and eye colour: the structured pass first, the learned reader beside it, and notes.

The structured pass (colour_parse.py) binds colour words to hair and eyes by the sentence's shape; the
learned reader (colour_reader.py) reads MiniLM's token vectors. Where the structured pass binds a colour,
it is used, and a learned reading that differs is reported. Where it binds none, a colour word it could
not place is taken if the learned reader reads it for that attribute; otherwise the attribute is
missing and DEFAULT stands in, said in a note (or refused under strict). The code handed to the
generator is the tag model's own one-hot pair, so the image is drawn exactly as for the tags.

Every mapping and substitution is said (synonyms, defaults, disagreements), never silent; a colour
word outside the vocabulary bound to hair or eyes is an error naming the known colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.text.colour_parse import Parse, parse
from cgan.text.colour_words import WHY, canonical, known_list

ATTRS = ("hair", "eyes")
DEFAULT = {"hair": "black", "eyes": "brown"}
NOUN = {"hair": "hair", "eyes": "eye"}
A_NOUN = {"hair": "a hair", "eyes": "an eye"}


@dataclass
class Reading:
    """One prompt's colours and what the user should be told about them."""

    hair: str
    eyes: str
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def colour(self, attr: str) -> str:
        return self.hair if attr == "hair" else self.eyes


def _bound(text: str, p: Parse, attr: str, notes: list[str]) -> str | None:
    """The handout colour the structured pass bound to `attr`, with a note for a synonym or a second colour."""
    words = p.words[attr]
    if not words:
        return None
    colours = []
    for w in words:
        c = canonical(w, attr)
        if c is None:
            raise CganError(f"{text!r}: {w!r} is not {A_NOUN[attr]} colour the model knows "
                            f"(known {NOUN[attr]} colours: {known_list(attr)})")
        if attr == "hair" and w == p.bare:
            notes.append(f"'{w}' read as {c} hair (a hair colour named without the word hair)")
        elif c != w:
            notes.append(f"'{w}' {attr} read as {c}" + (f" ({WHY[w, attr]})" if (w, attr) in WHY else ""))
        colours.append(c)
    if len(set(colours)) > 1:
        notes.append(f"names {len(set(colours))} {NOUN[attr]} colours ({', '.join(dict.fromkeys(colours))}): "
                      f"using {colours[0]}, the first (the model draws one)")
    return colours[0]


def check_prompt(text: str, strict: bool = False) -> Parse:
    """The structured pass over `text`; an error for a colour outside the vocabulary, and under `strict`
    for a prompt that names no hair or no eye colour."""
    p = parse(text)
    for attr in ATTRS:
        found = _bound(text, p, attr, [])
        if strict and found is None:
            left = f" ('{p.unbound[0]}' is tied to neither hair nor eyes)" if p.unbound else ""
            raise CganError(f"{text!r} names no {NOUN[attr]} colour{left}; --strict refuses to choose one")
    return p


def combine(text: str, learned: tuple[str, str] | None = None) -> Reading:
    """The colours of `text` from the structured pass and the learned reader's (hair, eyes) reading."""
    p = check_prompt(text)
    notes: list[str] = []
    out: dict[str, str] = {}
    missing = []
    for attr in ATTRS:
        found = _bound(text, p, attr, notes)
        guess = learned[ATTRS.index(attr)] if learned else None
        if found is not None:
            if attr in p.shared:
                notes.append(f"{attr} {found}, the colour named for both")
            if guess is not None and guess != found:
                notes.append(f"the learned reader read {guess} {attr}; the word-by-word reading {found} is used")
            out[attr] = found
        elif guess is not None and guess in [canonical(w, attr) for w in p.unbound]:
            notes.append(f"no word ties '{p.unbound[0]}' to the {attr}; the learned reader took {guess} {attr}")
            out[attr] = guess
        else:
            missing.append(attr)
            out[attr] = DEFAULT[attr]
            notes.append(f"names no {NOUN[attr]} colour: using {DEFAULT[attr]} {attr} in its place "
                         f"(name one, or --strict to refuse)")
    return Reading(out["hair"], out["eyes"], [f"{text!r}: {n}" for n in dict.fromkeys(notes)], missing)


def one_hot(readings: list[Reading]) -> torch.Tensor:
    """The tag model's (n, 23) code: a hair one-hot, then an eye one-hot."""
    code = torch.zeros(len(readings), len(HAIR_COLORS) + len(EYE_COLORS))
    for i, r in enumerate(readings):
        code[i, HAIR_COLORS.index(r.hair)] = 1
        code[i, len(HAIR_COLORS) + EYE_COLORS.index(r.eyes)] = 1
    return code


def learned_readings(codes: torch.Tensor) -> list[tuple[str, str]]:
    """The learned reader's most likely (hair, eyes) of each row of its codes."""
    h, e = codes[:, :len(HAIR_COLORS)].argmax(1), codes[:, len(HAIR_COLORS):].argmax(1)
    return [(HAIR_COLORS[a], EYE_COLORS[b]) for a, b in zip(h.tolist(), e.tolist())]


def read_prompts(reader, encoder, texts: list[str], log: Callable[[str], None] = lambda m: None) -> torch.Tensor:
    """The codes for `texts` (distinct prompts), each note logged once: the structured pass combined
    with `reader` over `encoder`'s token vectors."""
    for t in texts:  # an unknown colour stops before the encoder runs
        check_prompt(t)
    readings = [combine(t, g) for t, g in zip(texts, learned_readings(reader.code(*encoder.token_states(texts))))]
    for r in readings:
        for n in r.notes:
            log(f"note: {n}")
    return one_hot(readings)
