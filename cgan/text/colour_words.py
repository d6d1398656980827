"""The words a user types for the handout's colours and for hair and eyes.

Each attribute has its own synonym table because a word can mean different handout colours on the two:
"golden" hair is blonde, golden eyes are yellow; "yellow" hair is blonde. "silver" maps to gray on both
(the handout's nearest; white is the other candidate, and the note says so). Colour names outside both
tables (OTHER_COLOURS) are recognised so that "maroon hair" is an error rather than a silent guess.
A few words name a hair colour with no noun at all ("a blonde", "a redhead", "crimson-eyed brunette"):
BARE_HAIR; the structured pass gives one to the hair when nothing else names its colour.
"""

from __future__ import annotations

from cgan.course.colors import EYE_COLORS, HAIR_COLORS

_SHARED = {"grey": "gray", "silver": "gray", "violet": "purple", "lavender": "purple", "lilac": "purple",
           "crimson": "red", "scarlet": "red", "ruby": "red", "navy": "blue", "azure": "blue", "sapphire": "blue",
           "cyan": "aqua", "teal": "aqua", "turquoise": "aqua", "emerald": "green", "jade": "green", "rose": "pink"}
HAIR_SYNONYMS = {**_SHARED, "blond": "blonde", "golden": "blonde", "gold": "blonde", "yellow": "blonde",
                 "platinum": "blonde", "ginger": "orange", "chestnut": "brown", "brunette": "brown",
                 "raven": "black", "ebony": "black", "snowy": "white"}
EYE_SYNONYMS = {**_SHARED, "golden": "yellow", "gold": "yellow", "amber": "orange", "hazel": "brown",
                "chestnut": "brown"}
# Words that say a hair colour on their own; "redhead" is a hair colour only, never a colour word elsewhere.
REDHEAD = {"redhead": "red", "redheaded": "red", "redheads": "red"}
BARE_HAIR = frozenset(("blonde", "blond", "brunette", "ginger", *REDHEAD))
_HAIR_WORDS = {**HAIR_SYNONYMS, **REDHEAD}
# Plural gems, as in "eyes like emeralds": the singular is a colour word.
GEMS = {"emeralds": "emerald", "rubies": "ruby", "sapphires": "sapphire"}
# Why a mapping is not the obvious one, added to the note that names it.
WHY = {("silver", "hair"): "the nearest handout colour; say 'white' for white",
       ("silver", "eyes"): "the nearest handout colour"}
OTHER_COLOURS = frozenset("""beige tan olive maroon indigo magenta fuchsia lime cream ivory copper bronze peach mint
    rainbow multicolored multicoloured colorful colourful khaki burgundy mauve cerulean ochre sepia charcoal
    auburn strawberry""".split())

HAIR_NOUNS = frozenset("hair hairs haired headed locks mane tresses hairstyle ponytail ponytails twintails pigtails "
                       "braids braid bangs fringe curls bob".split())
EYE_NOUNS = frozenset("eyes eye eyed irises iris pupils gaze".split())


def canonical(word: str, attr: str) -> str | None:
    """The handout colour a word names for `attr` ('hair' or 'eyes'), or None if it names none there."""
    known, syn = (HAIR_COLORS, _HAIR_WORDS) if attr == "hair" else (EYE_COLORS, EYE_SYNONYMS)
    return word if word in known else syn.get(word)


def is_colour_word(word: str) -> bool:
    """Any colour name: the handout's, a synonym on either attribute, or one outside the vocabulary."""
    return (word in HAIR_COLORS or word in EYE_COLORS or word in HAIR_SYNONYMS or word in EYE_SYNONYMS
            or word in OTHER_COLOURS or word in REDHEAD)


def known_list(attr: str) -> str:
    """The handout's colours of `attr`, for an error message."""
    return ", ".join(HAIR_COLORS if attr == "hair" else EYE_COLORS)
