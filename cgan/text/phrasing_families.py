"""A caption grammar in families of sentence shapes, some held out from training.

A family is one way of saying a (hair, eyes) pair ("X-haired girl with Y eyes", "hair: X, eyes: Y",
"her eyes are Y while her hair is X", ...), with its slots filled at random: the subject, modifiers
between a colour and its noun, distractor objects in other colours, the colours' synonyms, case and
final punctuation. The learned reader trains on the TRAIN families only; a family in HELDOUT shares no
template with them, so accuracy on it predicts a sentence shape nobody trained or tuned on.

The held-out families cover the shapes that trip a reader trained on templates: the eye colour first,
compounds, "eyes of Y", key-value lists, clauses joined by while/semicolons, "being", possessives,
words between a colour and its noun, distractors, the same colour twice, and the ways people write
colours without a template in mind: a hair colour with no noun ("a blonde", "a redhead"), questions
and their answers, similes, and colours fused to a part by a hyphen in either order ("eyes-blue").
"""

from __future__ import annotations

import random

import torch

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.text.colour_words import BARE_HAIR, EYE_SYNONYMS, HAIR_SYNONYMS, canonical

SUBJECTS = ("a girl", "an anime girl", "a character", "a boy", "a young woman", "an anime character", "someone",
            "a cute girl", "a smiling girl", "a portrait of a girl", "a face", "a person")
MODS = ("", "", "", "long ", "short ", "bright ", "messy ", "wavy ", "shiny ", "big ", "dark ", "sparkling ")
THINGS = ("hat", "ribbon", "dress", "scarf", "background", "bow", "jacket", "shirt", "flower", "cap")
# What a simile compares a colour to: nothing here names a colour itself.
LIKE = ("jewels", "glass", "candy", "polished stone", "a jewel", "can be", "ever", "silk", "a gemstone",
        "stained glass")
STUFF = ("silk", "gems", "glass", "jewels", "fire", "water", "ribbons")

TRAIN = {
    "with": ("{s} with {m}{h} hair and {m2}{e} eyes", "{s} that has {m}{h} hair and {m2}{e} eyes"),
    "tag_list": ("{h} hair, {e} eyes", "{h} hair {e} eyes", "anime face, {m}{h} hair, {m2}{e} eyes"),
    "eyes_first_with": ("{s} with {m2}{e} eyes and {m}{h} hair", "{e} eyes and {h} hair"),
    "hair_compound": ("a {h}-haired girl with {e} eyes", "{h}-haired anime character, {e} eyes"),
    "copula": ("her hair is {h} and her eyes are {e}", "{s} whose hair is {h} and whose eyes are {e}"),
    "colon_list": ("hair: {h}, eyes: {e}", "eyes: {e}, hair: {h}"),
    "wearing": ("{s} wearing a {c} {d}, with {h} hair and {e} eyes", "{h} hair, {e} eyes, {c} {d}"),
    "of_phrase": ("{s} with eyes of {e} and hair of {h}", "{s} with hair of {h}"
                  " and eyes of {e}"),
    "same_colour": ("{h} hair and {e} eyes", "{s} with {h} hair and {e} eyes"),
}
HELDOUT = {
    "compounds_eyes_first": ("a {e}-eyed, {h}-haired {n}", "{e} eyed {n} with {h} haired look"),
    "while_semicolon": ("her eyes are {e} while her hair is {h}", "{h} hair; {e} eyes",
                        "eyes {e}; hair {h}", "{s}: the eyes are {e}, whereas the hair is {h}"),
    "being": ("{s}, her hair being {h} and her eyes being {e}", "{s} with her eyes being {e}, hair being {h}"),
    "possessive": ("the girl's hair is {h} and the girl's eyes are {e}", "{n2}'s eyes are {e}; {n2}'s hair is {h}"),
    "words_between": ("{h} hair in twintails and {e} eyes that sparkle", "{e} {w}, {w2} eyes and {h} {w2} hair",
                      "{h} hair tied in a ponytail, {e} eyes full of wonder"),
    "key_value": ("Hair colour = {h} | Eye colour = {e}", "EYES - {e}, HAIR - {h}", "eye color {e}, hair color {h}"),
    "distractors": ("a {c} {d}, {h} hair, a smile, {e} eyes, {c2} {d2}",
                    "{s} in a {c} {d} with {e} eyes and {h} hair against a {c2} {d2}"),
    "same_colour_pair": ("hair and eyes both {h}", "{h} hair with matching {e} eyes", "{h} hair and eyes"),
    # {h} here is a word that names a hair colour on its own ("blonde", "brunette", "redhead", "ginger").
    "bare_hair": ("a {h} {n} with {m2}{e} eyes", "{e}-eyed {h}", "a {h} with {e} eyes in a {c2} {d}", "{h}, {e} eyes",
                  "{e} eyes, {h}", "{s}: {h}, {m2}{e} eyes, a {c2} {d}"),
    "question_answer": ("Her eyes? {e}. Hair: {h}", "What colour are her eyes? {e}. Her hair? {h}",
                        "hair colour? {h}! eye colour? {e}", "{s}. Hair? {h}. Eyes? {e}",
                        "what colour is her hair? it is {h}, and her eyes are {e}",
                        "and her eyes, what colour are they? they are {e}. her hair? {h}"),
    "simile": ("{s} with eyes as {e} as {x} and hair as {h} as {x2}", "hair like {h} {y}, eyes like {e} {y2}",
               "her eyes, as {e} as {x}, and her hair, as {h} as {x2}",
               "eyes that shine like {e} {y} and hair {h} like {x}",
               "{s} in a {c} {d}, eyes as {e} as {x}, hair as {h} as {x2}"),
    "hyphen_any_order": ("eyes-{e}, hair-{h}", "{h}-hair and {e}-eyes", "{s}: {e}-eyed and {h}-haired",
                         "{e}-eyed {n}, hair-{h}", "a {n}, {h}-haired, eye-{e}", "a {n} eyed-{e}, haired-{h}"),
}
FAMILIES = {**TRAIN, **HELDOUT}
# Families whose hair and eye colour are one colour (pairs where it is a colour of both).
SAME = ("same_colour", "same_colour_pair")
# Families whose hair is named by a word of its own (pairs whose hair colour has one), and those words.
BARE = ("bare_hair",)
BARE_WORDS = {c: tuple(sorted(w for w in BARE_HAIR if canonical(w, "hair") == c))
              for c in dict.fromkeys(canonical(w, "hair") for w in sorted(BARE_HAIR))}
NOUNS = ("girl", "character", "boy", "woman", "princess", "student")
NAMES = ("Yuki", "Mika", "the heroine", "the princess", "Sakura")


def _words(colour: str, synonyms: dict[str, str]) -> list[str]:
    return [colour] + [w for w, c in synonyms.items() if c == colour]


def _simile_slots(template: str, rng: random.Random) -> dict[str, str]:
    """A simile's slots, drawn only for a template that has them (so every other family's sentences, the
    learned reader's training set among them, stay as they were drawn before similes existed)."""
    if "{x" not in template and "{y" not in template:
        return {}
    return {"x": rng.choice(LIKE), "x2": rng.choice(LIKE), "y": rng.choice(STUFF), "y2": rng.choice(STUFF)}


def _say(template: str, h: str, e: str, rng: random.Random) -> str:
    mods = [m.strip() for m in MODS if m]
    text = template.format(h=h, e=e, s=rng.choice(SUBJECTS), m=rng.choice(MODS), m2=rng.choice(MODS),
                           w=rng.choice(mods), w2=rng.choice(mods), c=rng.choice(HAIR_COLORS),
                           c2=rng.choice(EYE_COLORS), d=rng.choice(THINGS), d2=rng.choice(THINGS),
                           n=rng.choice(NOUNS), n2=rng.choice(NAMES), **_simile_slots(template, rng))
    text = " ".join(text.split())
    case = rng.random()
    text = text.capitalize() if case < 0.3 else text.upper() if case < 0.4 else text.title() if case < 0.5 else text
    return text + rng.choice(("", "", ".", "!"))


def family_pairs(family: str) -> list[tuple[str, str]]:
    """The (hair, eyes) pairs a family can say: all 132, the same colour on both, or those whose hair
    colour has a word of its own."""
    if family in SAME:
        return [(c, c) for c in HAIR_COLORS if c in EYE_COLORS]
    return [(h, e) for h in HAIR_COLORS for e in EYE_COLORS if family not in BARE or h in BARE_WORDS]


def family_sentences(families: list[str] | tuple[str, ...], per_family: int, seed: int = 0,
                     pairs: list[tuple[str, str]] | None = None
                     ) -> tuple[list[str], torch.Tensor, torch.Tensor, list[str]]:
    """`per_family` random sentences of each family, over its pairs in turn (restricted to `pairs` if
    given; a family that can say none of them is left out): (texts, hair indices, eye indices, family of each)."""
    rng = random.Random(seed)
    texts, hair, eyes, fams = [], [], [], []
    for fam in families:
        ps = [p for p in family_pairs(fam) if pairs is None or p in pairs] or \
            [p for p in (pairs or []) if fam not in SAME + BARE]
        for k in range(per_family if ps else 0):
            h, e = ps[k % len(ps)]
            hw = rng.choice(_words(h, HAIR_SYNONYMS)) if rng.random() < 0.3 else h
            ew = rng.choice(_words(e, EYE_SYNONYMS)) if rng.random() < 0.3 else e
            if fam in SAME:  # one word for both: a synonym only if it means this colour on both
                ew = hw = hw if canonical(hw, "eyes") == e else h
            if fam in BARE:
                hw = rng.choice(BARE_WORDS[h])
            texts.append(_say(rng.choice(FAMILIES[fam]), hw, ew, rng))
            hair.append(HAIR_COLORS.index(h))
            eyes.append(EYE_COLORS.index(e))
            fams.append(fam)
    return texts, torch.tensor(hair), torch.tensor(eyes), fams
