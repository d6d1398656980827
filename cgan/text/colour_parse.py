"""The structured pass: which colour word of a prompt belongs to the hair and which to the eyes.

Word by word, no learning: each colour word is bound to an attribute noun (hair, eyes, and their
compounds "-haired" / "-eyed" / "-headed") by the shape around it:

- to the right, over modifiers only ("blue hair", "blue long flowing hair", "blue-eyed", "blue
  coloured eyes"); a noun that is a key ("eyes: red", "eyes are red") does not take a colour from its left;
- else to the left, over linking words only ("hair is blue", "hair: blue", "eyes of blue", "hair being
  blue", "the girl's hair is the colour of blue", "eyes both blue", "eyes as blue as the sea", "hair like
  gold", "eyes-blue"); a compound that has its colour ("crimson-eyed") takes no second one from its right,
  so "crimson-eyed blonde" leaves "blonde" free;
- a colour answering a question takes the noun the question asked about ("Her eyes? Green.", "What colour
  is her hair? It's pink.");
- a noun left without a colour shares the colour of a noun coordinated with it ("blue hair and eyes",
  "hair and eyes both blue");
- if the hair still has no colour, a word that names a hair colour on its own takes it ("a blonde girl",
  "a redhead with green eyes", "crimson-eyed, brunette").

A colour word that reaches no noun this way is a distractor ("a red hat", "blue background") and binds
to nothing. The learned reader (colour_reader.py) reads the same prompt; prompt_reader.py combines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cgan.text.colour_words import (BARE_HAIR, EYE_NOUNS, GEMS, HAIR_NOUNS, OTHER_COLOURS, canonical,
                                    is_colour_word)

TOKEN = re.compile(r"[a-z]+|[^\sa-z0-9]")
# Words that may stand between a colour and the noun it describes ("blue long hair", "red-eyed").
MODIFIERS = frozenset("""- long short medium wavy curly straight messy silky shiny glossy flowing spiky fluffy thick
    soft big large wide round bright sparkling shining glowing piercing gentle kind sharp narrow almond cat twin
    colored coloured color colour tinted hued toned dark light pale deep vivid pastel neon very jet snow pure
    beautiful pretty lovely striking stunning vibrant intense rich cute""".split())
# Words that may stand between a noun and the colour after it ("hair is blue", "eyes of red").
LINKS = frozenset("""is are was were be being been of : = - the a an that which look looks looking seem seems
    appear appears shade shades tinted both all ' s dyed painted pure very quite so bright dark light deep pale
    vivid same colour color colored coloured tone hue kind sort its their her his like shine shines sparkle
    sparkles glow glows gleam gleams glitter glitters""".split())
# A noun followed by one of these is a key: the colour comes after it, not before.
KEY_MARKS = frozenset(": = is are was were being of - look looks seem seems".split())
CONJUNCTIONS = frozenset("and & , plus".split())
# Compounds that take their colour from the left ("blue-eyed"); having one, they take no second.
COMPOUNDS = frozenset("haired headed eyed".split())
SENTENCE_ENDS = frozenset(". ! ? ;".split())


def tokens(text: str) -> list[str]:
    return [GEMS.get(t, t) for t in TOKEN.findall(text.lower())]


def _attr(tok: str) -> str | None:
    return "hair" if tok in HAIR_NOUNS else "eyes" if tok in EYE_NOUNS else None


@dataclass
class Parse:
    """What the structured pass read: per attribute, the colour words bound to it, in order."""

    words: dict[str, list[str]] = field(default_factory=lambda: {"hair": [], "eyes": []})
    unbound: list[str] = field(default_factory=list)  # colour words that reach no noun
    shared: list[str] = field(default_factory=list)  # attributes that took the other one's colour
    bare: str | None = None  # the word that named the hair colour on its own ("a blonde girl")

    def colour(self, attr: str) -> str | None:
        """The handout colour of `attr`: its first bound word's (None if no word, or not a colour of `attr`)."""
        ws = self.words[attr]
        return canonical(ws[0], attr) if ws else None


def _right(toks: list[str], i: int) -> int | None:
    """The noun a colour at i describes to its right, over modifiers; None at anything else."""
    j = i + 1
    while j < len(toks):
        if _attr(toks[j]):
            return j
        if toks[j] == "," and j + 1 < len(toks) and toks[j + 1] in MODIFIERS:
            j += 1
            continue
        if toks[j] not in MODIFIERS or is_colour_word(toks[j]):
            return None
        j += 1
    return None


def _left(toks: list[str], i: int) -> int | None:
    """The noun a colour at i completes to its left, over linking words; None at anything else."""
    simile = i + 1 < len(toks) and toks[i + 1] == "as"  # "as" links only a colour it frames: "as blue as"
    j = i - 1
    while j >= 0:
        if _attr(toks[j]):
            return j
        if simile and (toks[j] == "as" or toks[j] == "," and toks[j + 1] == "as"):  # "her eyes, as green as"
            j -= 1
            continue
        if toks[j] not in LINKS or is_colour_word(toks[j]):
            return None
        j -= 1
    return None


def _is_key(toks: list[str], j: int) -> bool:
    return j + 1 < len(toks) and toks[j + 1] in KEY_MARKS


def _noun(toks: list[str], i: int, bound_at: dict[int, int]) -> int | None:
    """The noun the colour at i describes: right unless that noun is a key, else left; a compound to the
    left that already has its colour is no candidate."""
    right, left = _right(toks, i), _left(toks, i)
    if left is not None and toks[left] in COMPOUNDS and bound_at.get(left, i) < left:
        left = None
    return left if right is not None and left is not None and _is_key(toks, right) else \
        right if right is not None else left


def _answers(toks: list[str], free: list[int], bound_at: dict[int, int], out: Parse) -> list[int]:
    """Bind the free colours after each "?" to the nouns without a colour in its question, in order (one
    colour for both nouns: both take it); return the colours still free."""
    start = 0
    for q, tok in enumerate(toks):
        if tok not in SENTENCE_ENDS:
            continue
        if tok == "?":
            asked = list(dict.fromkeys(_attr(t) for j, t in enumerate(toks[start:q], start)
                                       if _attr(t) and j not in bound_at))
            end = next((k for k in range(q + 1, len(toks)) if toks[k] in SENTENCE_ENDS), len(toks))
            answer = [i for i in free if q < i < end]
            for n, attr in enumerate(asked if answer else []):
                out.words[attr].append(toks[answer[min(n, len(answer) - 1)]])
                if n >= len(answer):
                    out.shared.append(attr)
            free = [i for i in free if i not in answer[:len(asked)]]
        start = q + 1
    return free


def _share(toks: list[str], bound_at: dict[int, int], out: Parse) -> None:
    """A noun without a colour takes the colour of a noun coordinated with it."""
    for j, tok in enumerate(toks):  # "blue hair and eyes", "hair and eyes both blue"
        attr = _attr(tok)
        if attr is None or out.words[attr]:
            continue
        for k in (j - 2, j + 2):
            if 0 <= k < len(toks) and toks[(j + k) // 2] in CONJUNCTIONS and k in bound_at \
                    and _attr(toks[k]) not in (None, attr):
                out.words[attr].append(toks[bound_at[k]])
                out.shared.append(attr)
                break


def parse(text: str) -> Parse:
    """Bind each colour word of `text` to hair, eyes or nothing (see the module's docstring)."""
    toks = tokens(text)
    out = Parse()
    bound_at: dict[int, int] = {}  # noun index -> colour index
    free: list[int] = []  # colour words that reach no noun
    for i, tok in enumerate(toks):
        if not is_colour_word(tok):
            continue
        noun = _noun(toks, i, bound_at)
        if noun is None:
            free.append(i)
            continue
        out.words[_attr(toks[noun])].append(tok)
        bound_at[noun] = i
    free = _answers(toks, free, bound_at, out)
    _share(toks, bound_at, out)
    bare = next((i for i in free if toks[i] in BARE_HAIR), None)
    if bare is not None and not out.words["hair"]:  # "a blonde girl"; never over a colour the hair has
        out.words["hair"].append(toks[bare])
        out.bare = toks[bare]
        free.remove(bare)
    out.unbound = [toks[i] for i in free if toks[i] not in OTHER_COLOURS]
    return out
