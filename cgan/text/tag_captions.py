"""Sentences from hair/eye tags: many phrasings of one (hair, eyes) pair, some held out from training.

Training draws a fresh phrasing per image each epoch from `TRAIN_TEMPLATES` with the colour words'
common synonyms (blond, grey, violet, ...); `HELDOUT_TEMPLATES` are never used in training, so a model
measured on them is measured on sentences it never read. The colour words are the handout's, with
synonyms that a user would type for them.
"""

from __future__ import annotations

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.captioned import CaptionedImages
from cgan.data.tagged import TaggedImages

# What a user may call each colour, beside the handout's word (which is always one of the choices).
HAIR_WORDS = {"blonde": ("blonde", "blond", "golden"), "gray": ("gray", "grey", "silver"),
              "purple": ("purple", "violet"), "aqua": ("aqua", "cyan", "turquoise"), "orange": ("orange", "ginger"),
              "white": ("white", "snow-white"), "red": ("red", "crimson"), "pink": ("pink",), "blue": ("blue",),
              "black": ("black", "jet-black"), "brown": ("brown", "chestnut"), "green": ("green",)}
EYE_WORDS = {"gray": ("gray", "grey"), "purple": ("purple", "violet"), "aqua": ("aqua", "cyan", "turquoise"),
             "yellow": ("yellow", "golden"), "red": ("red", "crimson"), "blue": ("blue",), "green": ("green",),
             "brown": ("brown",), "black": ("black",), "orange": ("orange", "amber"), "pink": ("pink",)}

TRAIN_TEMPLATES = (
    "{hair} hair, {eyes} eyes",
    "{hair} hair {eyes} eyes",
    "a girl with {hair} hair and {eyes} eyes",
    "an anime girl with {hair} hair and {eyes} eyes",
    "a character with {hair} hair and {eyes} eyes",
    "{eyes} eyes and {hair} hair",
    "a {hair}-haired girl with {eyes} eyes",
    "{eyes}-eyed girl with {hair} hair",
    "a {eyes}-eyed character with {hair} hair",
    "portrait of a girl with {hair} hair and {eyes} eyes",
    "her hair is {hair} and her eyes are {eyes}",
    "anime face, {hair} hair, {eyes} eyes",
    "a face with {eyes} eyes, framed by {hair} hair",
    "long {hair} hair and {eyes} eyes",
    "short {hair} hair and bright {eyes} eyes",
    "{hair}-haired anime character, {eyes} eyes",
)
HELDOUT_TEMPLATES = (
    "draw someone whose hair is {hair} and whose eyes are {eyes}",
    "a cute girl: {hair} hair, {eyes} eyes",
    "{eyes} eyes, {hair} hair",
    "the character has {hair} hair and {eyes} eyes",
    "a smiling girl with {eyes} eyes and {hair} hair",
    "illustration of a {hair}-haired girl whose eyes are {eyes}",
)
SPLITS = {"train": TRAIN_TEMPLATES, "heldout": HELDOUT_TEMPLATES}


def phrasings(hair: str, eyes: str, split: str = "train") -> list[str]:
    """Every sentence of `split` for the pair: each template with each synonym of each colour."""
    if hair not in HAIR_COLORS or eyes not in EYE_COLORS:
        raise ValueError(f"unknown colours {hair!r}, {eyes!r}")
    return [t.format(hair=h, eyes=e) for t in SPLITS[split] for h in HAIR_WORDS[hair] for e in EYE_WORDS[eyes]]


def heldout_caption(hair: str, eyes: str, k: int) -> str:
    """The k-th held-out sentence for the pair (in turn over the templates, with the handout's words)."""
    return HELDOUT_TEMPLATES[k % len(HELDOUT_TEMPLATES)].format(hair=hair, eyes=eyes)


def captioned_from_tags(data: TaggedImages) -> CaptionedImages:
    """The tagged images with every training phrasing of their pair as their captions (one drawn per
    image per epoch); the lists are shared between the images of one pair."""
    per_pair = {p: phrasings(*p) for p in data.pairs}
    captions = [per_pair[(HAIR_COLORS[h], EYE_COLORS[e])] for h, e in zip(data.hair, data.eyes)]
    n = sum(len(v) for v in per_pair.values())
    summary = {**data.summary, "captions": f"made from tags: {len(TRAIN_TEMPLATES)} templates x synonyms, "
               f"{n} sentences over {len(per_pair)} pairs ({len(HELDOUT_TEMPLATES)} templates held out)"}
    return CaptionedImages(data.images, captions, [r.id for r in data.records], summary)
